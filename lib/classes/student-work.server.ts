import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { keptWorkOf, restoreToStep, stepsOfRunningWork, type KeptWorkView, type StepView } from '../sandbox/kept.server'
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
