import 'server-only'
import { z } from 'zod'
import type { SessionUser } from '../auth/session.server'
import { getLesson } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { assertionSchema } from '../progress/api'
import { lessonStatus, type LessonStatus } from '../progress/rules'
import { percent } from './aggregate'
import { requireTeaching, type ClassDetail } from './classes.server'
import { assertionMessage, classLessons, type Locale } from './dashboard.server'
import { ClassError } from './errors'
import { describeAnswer, describeKey } from './quiz-display'

// One student, seen by an instructor of one of their classes: what each check found, the
// hints and solutions they opened (and when), their quiz answers, their time. Only the
// class's courses, and only for a member of the class. Attempts are the student's clicks on
// "Vérifier"; live runs (re-read while the lesson is open) are no attempts: they are neither
// listed nor counted, and the latest one only shows as the exercise's current state.

/** A busy student can check an exercise many times; the page shows the latest attempts. */
export const attemptsPerExercise = 15

export type AttemptView = {
  id: string
  createdAt: Date
  passed: boolean
  passedCount: number
  totalCount: number
  trigger: string
  durationMs: number
  assertions: { id: string; passed: boolean; pending: boolean; message: string }[]
}

/** What live mode last saw of an exercise, when it is more recent than the last attempt: not an attempt. */
export type LiveStateView = { createdAt: Date; passed: boolean; passedCount: number; totalCount: number }

export type ExerciseReport = {
  id: string
  title: string
  /** Clicks on "Vérifier" (live runs are not attempts). */
  attempts: number
  firstAttemptAt: Date | null
  completedAt: Date | null
  hintsRevealed: number
  hintCount: number
  solutionRevealed: boolean
  events: { kind: 'hint' | 'solution'; hintIndex: number | null; text: string | null; createdAt: Date }[]
  recentAttempts: AttemptView[]
  liveState: LiveStateView | null
}

export type QuizAttemptView = {
  id: string
  createdAt: Date
  score: number
  maxScore: number
  percent: number
  answers: { questionId: string; prompt: string; given: string; expected: string; correct: boolean | null }[]
}

export type LessonReport = {
  key: string
  courseSlug: string
  lessonSlug: string
  courseTitle: string
  title: string
  status: LessonStatus
  startedAt: Date | null
  completedAt: Date | null
  lastSeenAt: Date | null
  activeSeconds: number
  quizAttempts: QuizAttemptView[]
  exercises: ExerciseReport[]
}

export type StudentReport = {
  classroom: ClassDetail
  student: { id: string; name: string; email: string; joinedAt: Date }
  totalActiveSeconds: number
  lessons: LessonReport[]
}

const resultsSchema = z.array(z.object({ questionId: z.string(), correct: z.boolean() }).loose()).catch([])
const answersSchema = z.record(z.string(), z.unknown()).catch({})

/** A class this instructor teaches, and this student's membership of it (ClassError student_not_in_class otherwise). */
export async function requireStudentOfClass(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string) {
  const classroom = await requireTeaching(classId, user)
  const db = await getDb()
  const membership = await db.classroomMember.findUnique({
    where: { classroomId_userId: { classroomId: classId, userId: studentId } },
    select: { joinedAt: true, user: { select: { id: true, name: true, email: true } } },
  })
  if (!membership) throw new ClassError('student_not_in_class', 'this student is not in the class')
  return { classroom, membership }
}

export async function getStudentReport(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string, locale: Locale): Promise<StudentReport> {
  const { classroom, membership } = await requireStudentOfClass(classId, user, studentId)
  const db = await getDb()
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const scope = { userId: studentId, courseSlug: { in: courseSlugs } }

  const [progress, quizzes, exerciseProgress, events, attempts, liveRuns] = await Promise.all([
    db.lessonProgress.findMany({ where: scope }),
    db.quizAttempt.findMany({ where: scope, orderBy: { createdAt: 'desc' }, take: 500 }),
    db.exerciseProgress.findMany({ where: scope }),
    db.exerciseEvent.findMany({ where: scope, orderBy: { createdAt: 'asc' } }),
    // Latest runs first; the per-exercise cap is applied below (a window query would be
    // database-specific, and one student's attempts are few enough).
    db.exerciseAttempt.findMany({ where: { ...scope, trigger: { not: 'live' } }, orderBy: { createdAt: 'desc' }, take: 2000 }),
    // The latest live run of each exercise: its current state, shown apart.
    db.exerciseAttempt.findMany({
      where: { ...scope, trigger: 'live' },
      orderBy: { createdAt: 'desc' },
      distinct: ['courseSlug', 'lessonSlug', 'exerciseId'],
      select: { courseSlug: true, lessonSlug: true, exerciseId: true, createdAt: true, passed: true, passedCount: true, totalCount: true },
    }),
  ])

  const lessons: LessonReport[] = classLessons(courseSlugs).map((column) => {
    const lesson = getLesson(column.courseSlug, column.lessonSlug)
    const at = <T extends { courseSlug: string; lessonSlug: string }>(rows: T[]) => rows.filter((r) => r.courseSlug === column.courseSlug && r.lessonSlug === column.lessonSlug)
    const p = at(progress)[0]
    const lessonQuizzes = at(quizzes)
    const lessonAttempts = at(attempts)
    const lessonEvents = at(events)
    const lessonExerciseProgress = at(exerciseProgress)
    const lessonLiveRuns = at(liveRuns)
    const started = p !== undefined || lessonQuizzes.length > 0 || lessonAttempts.length > 0
    return {
      key: column.key,
      courseSlug: column.courseSlug,
      lessonSlug: column.lessonSlug,
      courseTitle: column.courseTitle,
      title: column.title,
      status: lessonStatus({ started, completedAt: p?.completedAt ?? null }),
      startedAt: p?.startedAt ?? null,
      completedAt: p?.completedAt ?? null,
      lastSeenAt: p?.lastSeenAt ?? null,
      activeSeconds: p?.activeSeconds ?? 0,
      quizAttempts: lessonQuizzes.map((q) => {
        const answers = answersSchema.parse(q.answers)
        const results = new Map(resultsSchema.parse(q.results).map((r) => [r.questionId, r.correct]))
        return {
          id: q.id,
          createdAt: q.createdAt,
          score: q.score,
          maxScore: q.maxScore,
          percent: percent(q.score, q.maxScore) ?? 0,
          answers: (lesson?.quiz?.questions ?? []).map((question) => ({
            questionId: question.id,
            prompt: question.prompt,
            given: describeAnswer(question, answers[question.id]),
            expected: describeKey(question),
            correct: results.get(question.id) ?? null,
          })),
        }
      }),
      exercises: (lesson?.exercises ?? []).map((exercise) => {
        const ep = lessonExerciseProgress.find((e) => e.exerciseId === exercise.id)
        const latestAttempt = lessonAttempts.find((a) => a.exerciseId === exercise.id)
        const live = lessonLiveRuns.find((r) => r.exerciseId === exercise.id)
        return {
          id: exercise.id,
          title: exercise.title,
          attempts: ep?.attempts ?? 0,
          firstAttemptAt: ep?.firstAttemptAt ?? null,
          completedAt: ep?.completedAt ?? null,
          hintsRevealed: ep?.hintsRevealed ?? 0,
          hintCount: exercise.hints.length,
          solutionRevealed: ep?.solutionRevealed ?? false,
          events: lessonEvents
            .filter((e) => e.exerciseId === exercise.id)
            .map((e) => ({
              kind: e.kind === 'solution' ? ('solution' as const) : ('hint' as const),
              hintIndex: e.hintIndex,
              text: e.kind === 'hint' && e.hintIndex !== null ? (exercise.hints[e.hintIndex] ?? null) : null,
              createdAt: e.createdAt,
            })),
          recentAttempts: lessonAttempts
            .filter((a) => a.exerciseId === exercise.id)
            .slice(0, attemptsPerExercise)
            .map((a) => ({
              id: a.id,
              createdAt: a.createdAt,
              passed: a.passed,
              passedCount: a.passedCount,
              totalCount: a.totalCount,
              trigger: a.trigger,
              durationMs: a.durationMs,
              assertions: (Array.isArray(a.assertions) ? a.assertions : []).map((raw) => {
                const parsed = assertionSchema.safeParse(raw)
                const id = parsed.success ? parsed.data.id : '?'
                return { id, passed: parsed.success && parsed.data.passed, pending: parsed.success && parsed.data.pending === true, message: assertionMessage(raw, id, locale) }
              }),
            })),
          liveState:
            live && (!latestAttempt || live.createdAt > latestAttempt.createdAt)
              ? { createdAt: live.createdAt, passed: live.passed, passedCount: live.passedCount, totalCount: live.totalCount }
              : null,
        }
      }),
    }
  })

  return {
    classroom,
    student: { ...membership.user, joinedAt: membership.joinedAt },
    totalActiveSeconds: lessons.reduce((sum, l) => sum + l.activeSeconds, 0),
    lessons,
  }
}
