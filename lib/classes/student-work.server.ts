import 'server-only'
import type { Readable } from 'node:stream'
import type { SessionUser } from '../auth/session.server'
import { keptWorkOf, openKeptLab, restoreToStep, stepsOfRunningWork, type KeptWorkView, type StepView } from '../sandbox/kept.server'
import { requireStudentOfClass } from './student.server'

// An instructor helping a student with their sandbox (docs/persistence.md): the space their kept
// work takes per lesson, and the steps of their running sandbox, which the instructor can put
// the sandbox back to. Only for a student of a class the instructor teaches.

export async function studentWork(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<{ kept: KeptWorkView[]; steps: StepView[] }> {
  await requireStudentOfClass(classId, user, studentId)
  const [kept, steps] = await Promise.all([keptWorkOf(studentId), stepsOfRunningWork(studentId)])
  return { kept, steps }
}

export async function restoreStudentStep(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string, stepId: string): Promise<void> {
  await requireStudentOfClass(classId, user, studentId)
  await restoreToStep(studentId, stepId)
}

/** A student's kept work for a lesson (not running), downloaded by an instructor of their class. */
export async function downloadStudentKeptWork(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string, courseSlug: string, lessonSlug: string): Promise<{ name: string; stream: Readable }> {
  await requireStudentOfClass(classId, user, studentId)
  return openKeptLab(studentId, `${courseSlug}/${lessonSlug}`)
}
