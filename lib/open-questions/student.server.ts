import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { requireStudentOfClass } from '../classes/student.server'
import { getDb } from '../db/client.server'
import type { OpenAnswerStatus, GradeView } from './api'
import { gradeViewOf, statusOf } from './answers.server'
import { classOpenQuestions, type ClassOpenQuestion } from './grading.server'

// One student's open answers, for their page in the instructor's space: the class's questions
// they have started, with where each stands. A draft is the learner's own (grading.server.ts):
// the instructor learns that it exists, not what it says. A handed-in answer shows its last
// grade (a new version asked for by the grader keeps it until the next), and is read and graded
// in the question's queue, which the page links to.

export type StudentOpenAnswer = Omit<ClassOpenQuestion, 'question'> & {
  questionId: string
  questionTitle: string
  status: OpenAnswerStatus
  submittedAt: Date | null
  grade: GradeView | null
}

/** The student's answers to the open questions of the class's courses, in teaching order. Only an instructor of the class, for one of its students. */
export async function studentOpenAnswers(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<StudentOpenAnswer[]> {
  const { classroom } = await requireStudentOfClass(classId, user, studentId)
  const questions = classOpenQuestions(classroom.courses.map((c) => c.slug))
  if (questions.length === 0) return []
  const db = await getDb()
  const rows = await db.openAnswer.findMany({
    where: { userId: studentId, courseSlug: { in: [...new Set(questions.map((q) => q.courseSlug))] } },
    select: { courseSlug: true, lessonSlug: true, questionId: true, status: true, submittedAt: true, criteria: true, points: true, maxPoints: true, feedback: true, gradedAt: true, gradedBy: { select: { name: true } } },
  })
  return questions.flatMap(({ question, ...where }) => {
    const row = rows.find((r) => r.courseSlug === where.courseSlug && r.lessonSlug === where.lessonSlug && r.questionId === question.id)
    if (!row) return []
    const status = statusOf(row.status)
    return [{ ...where, questionId: question.id, questionTitle: question.title, status, submittedAt: status === 'draft' ? null : row.submittedAt, grade: status === 'draft' ? null : gradeViewOf(row) }]
  })
}
