import 'server-only'
import type { Readable } from 'node:stream'
import type { SessionUser } from '../auth/session.server'
import { keptWorkOf, openKeptLab, restoreToStep, stepsOfRunningWork, type KeptWorkView, type StepView } from '../sandbox/kept.server'
import { KeptWorkNotFoundError, StepNotFoundError } from '../sandbox/types'
import { requireStudentOfClass } from './student.server'

// An instructor helping a student with their sandbox (docs/persistence.md): the space their kept
// work takes per lesson, and the steps of their running sandbox, which the instructor can put
// the sandbox back to. Only for a student of a class the instructor teaches, and only in the
// class's courses (as the student report): what the student does elsewhere is not the class's.

/** The class's course slugs, once the instructor is known to teach the student. */
async function classCourses(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<Set<string>> {
  const { classroom } = await requireStudentOfClass(classId, user, studentId)
  return new Set(classroom.courses.map((c) => c.slug))
}

/** "lesson:<course>/<lesson>" or "course:<course>" → the course. */
const courseOfScope = (scopeKey: string) => scopeKey.slice(scopeKey.indexOf(':') + 1).split('/')[0]
const courseOfLesson = (lessonKey: string) => lessonKey.split('/')[0]

export async function studentWork(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<{ kept: KeptWorkView[]; steps: StepView[] }> {
  const courses = await classCourses(classId, user, studentId)
  const [kept, steps] = await Promise.all([keptWorkOf(studentId), stepsOfRunningWork(studentId)])
  return { kept: kept.filter((w) => courses.has(courseOfScope(w.scopeKey) ?? '')), steps: steps.filter((s) => courses.has(courseOfLesson(s.lessonKey) ?? '')) }
}

export async function restoreStudentStep(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string, stepId: string): Promise<void> {
  const courses = await classCourses(classId, user, studentId)
  const step = (await stepsOfRunningWork(studentId)).find((s) => s.id === stepId)
  if (step && !courses.has(courseOfLesson(step.lessonKey) ?? '')) throw new StepNotFoundError()
  await restoreToStep(studentId, stepId)
}

/** A student's kept work for a lesson (not running), downloaded by an instructor of their class. */
export async function downloadStudentKeptWork(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string, courseSlug: string, lessonSlug: string): Promise<{ name: string; stream: Readable }> {
  const courses = await classCourses(classId, user, studentId)
  if (!courses.has(courseSlug)) throw new KeptWorkNotFoundError()
  return openKeptLab(studentId, `${courseSlug}/${lessonSlug}`)
}
