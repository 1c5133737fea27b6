import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { getDb } from '../db/client.server'
import { keptWorkOf, restoreToStep, stepsOfRunningWork, type KeptWorkView, type StepView } from '../sandbox/kept.server'
import { requireTeaching } from './classes.server'
import { ClassError } from './errors'

// An instructor helping a student with their sandbox (docs/persistence.md): the space their kept
// work takes per lesson, and the steps of their running sandbox, which the instructor can put
// the sandbox back to. Only for a student of a class the instructor teaches.

async function requireStudent(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<void> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const member = await db.classroomMember.findUnique({ where: { classroomId_userId: { classroomId: classId, userId: studentId } }, select: { userId: true } })
  if (!member) throw new ClassError('student_not_in_class', 'this student is not in the class')
}

export async function studentWork(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<{ kept: KeptWorkView[]; steps: StepView[] }> {
  await requireStudent(classId, user, studentId)
  const [kept, steps] = await Promise.all([keptWorkOf(studentId), stepsOfRunningWork(studentId)])
  return { kept, steps }
}

export async function restoreStudentStep(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string, stepId: string): Promise<void> {
  await requireStudent(classId, user, studentId)
  await restoreToStep(studentId, stepId)
}
