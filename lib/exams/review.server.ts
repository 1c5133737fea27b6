import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { requireTeaching } from '../classes/classes.server'
import { ClassError } from '../classes/errors'
import { getLesson } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { gradePercent } from '../progress/grade'
import type { ExamView } from './api'
import { examViewOf } from './exams.server'

// What a student did during the class's exam, for its review: every click on "Vérifier" in the
// window, oldest first, with its time, result and grade. Live runs are not what the student did
// (live mode is off in an exam; a stream opened before the window stores a few runs until it
// ends), and they are not graded: they are left out, as from the grade sheet.
// Each run's assertions are on the student page's exercise list. Quai keeps no record of the
// terminal's commands, so there is none to show here.

export type ExamRunView = {
  id: string
  at: Date
  lessonTitle: string
  exerciseTitle: string
  passed: boolean
  passedCount: number
  totalCount: number
  /** 0 to 100, one decimal. */
  grade: number | null
}

/** A generous bound: an exam of a few hours holds a few hundred runs per student at most. */
export const maxReviewRuns = 1000

export async function examReviewOf(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<{ exam: ExamView; runs: ExamRunView[] }> {
  const classroom = await requireTeaching(classId, user)
  const db = await getDb()
  const row = await db.classroom.findUniqueOrThrow({
    where: { id: classId },
    select: { examStartsAt: true, examEndsAt: true, examLessons: true, members: { where: { userId: studentId }, select: { userId: true } } },
  })
  if (row.members.length === 0) throw new ClassError('student_not_in_class', 'this student is not in the class')
  const exam = examViewOf(row)
  if (!exam) return { exam, runs: [] }
  const runs = await db.exerciseAttempt.findMany({
    where: {
      userId: studentId,
      courseSlug: { in: classroom.courses.map((c) => c.slug) },
      trigger: 'manual',
      createdAt: { gte: new Date(exam.startsAt), lt: new Date(exam.endsAt) },
    },
    orderBy: { createdAt: 'asc' },
    take: maxReviewRuns,
    select: { id: true, createdAt: true, courseSlug: true, lessonSlug: true, exerciseId: true, passed: true, passedCount: true, totalCount: true, score: true },
  })
  return {
    exam,
    runs: runs
      .filter((r) => !exam.lessons || exam.lessons.includes(`${r.courseSlug}/${r.lessonSlug}`))
      .map((r) => {
        const lesson = getLesson(r.courseSlug, r.lessonSlug)
        return {
          id: r.id,
          at: r.createdAt,
          lessonTitle: lesson?.frontmatter?.title ?? r.lessonSlug,
          exerciseTitle: lesson?.exercises.find((e) => e.id === r.exerciseId)?.title ?? r.exerciseId,
          passed: r.passed,
          passedCount: r.passedCount,
          totalCount: r.totalCount,
          grade: r.score === null ? null : gradePercent(r.score),
        }
      }),
  }
}
