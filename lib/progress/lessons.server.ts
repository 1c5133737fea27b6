import 'server-only'
import { getDb, type Db } from '../db/client.server'
import { getLesson, type LessonRecord } from '../content/lessons.server'
import { ApiError } from '../http/errors'
import { gradeQuiz, type QuizGrade, type QuizSubmission } from '../quiz/grade.server'
import { clampHeartbeat, isLessonComplete, lessonStatus, presenceBreakMs, type LessonStatus } from './rules'

export type QuizAttemptSummary = { id: string; score: number; maxScore: number; percent: number; createdAt: Date }
export type QuizStanding = { attempts: number; best: QuizAttemptSummary | null; last: QuizAttemptSummary | null }
export type LessonProgressView = { status: LessonStatus; startedAt: Date | null; completedAt: Date | null; quiz: QuizStanding }

const percentOf = (a: { score: number; maxScore: number }) => (a.maxScore === 0 ? 0 : Math.round((a.score / a.maxScore) * 100))
const summary = (a: { id: string; score: number; maxScore: number; createdAt: Date }): QuizAttemptSummary => ({
  id: a.id,
  score: a.score,
  maxScore: a.maxScore,
  percent: percentOf(a),
  createdAt: a.createdAt,
})

/** Records that the learner opened the lesson (first visit) and when they last saw it. */
export async function markLessonStarted(userId: string, courseSlug: string, lessonSlug: string): Promise<void> {
  await upsertStarted(await getDb(), userId, courseSlug, lessonSlug)
}

function upsertStarted(db: Db, userId: string, courseSlug: string, lessonSlug: string) {
  return db.lessonProgress.upsert({
    where: { userId_courseSlug_lessonSlug: { userId, courseSlug, lessonSlug } },
    create: { userId, courseSlug, lessonSlug },
    update: { lastSeenAt: new Date() },
  })
}

export async function quizStanding(userId: string, courseSlug: string, lessonSlug: string): Promise<QuizStanding> {
  const db = await getDb()
  const attempts = await db.quizAttempt.findMany({
    where: { userId, courseSlug, lessonSlug },
    select: { id: true, score: true, maxScore: true, createdAt: true },
    orderBy: { createdAt: 'asc' },
  })
  if (attempts.length === 0) return { attempts: 0, best: null, last: null }
  const best = attempts.reduce((a, b) => (percentOf(b) > percentOf(a) ? b : a))
  return { attempts: attempts.length, best: summary(best), last: summary(attempts[attempts.length - 1]!) }
}

/**
 * Marks the lesson complete when its rules are met. Safe to call after any change
 * (quiz attempt, exercise check, "mark as read"); completion is never taken back.
 */
export async function refreshLessonCompletion(userId: string, courseSlug: string, lessonSlug: string, options: { markedRead?: boolean } = {}): Promise<void> {
  const lesson = getLesson(courseSlug, lessonSlug)
  if (!lesson) return
  const db = await getDb()
  const [standing, exercises] = await Promise.all([
    quizStanding(userId, courseSlug, lessonSlug),
    db.exerciseProgress.findMany({ where: { userId, courseSlug, lessonSlug, completedAt: { not: null } }, select: { exerciseId: true } }),
  ])
  const complete = isLessonComplete({
    hasQuiz: lesson.quiz !== null,
    quizPassingScore: lesson.quiz?.passingScore ?? 0,
    bestQuizPercent: standing.best?.percent ?? null,
    exerciseIds: lesson.exercises.map((e) => e.id),
    completedExerciseIds: exercises.map((e) => e.exerciseId),
    markedRead: options.markedRead ?? false,
  })
  await db.lessonProgress.upsert({
    where: { userId_courseSlug_lessonSlug: { userId, courseSlug, lessonSlug } },
    create: { userId, courseSlug, lessonSlug, completedAt: complete ? new Date() : null },
    update: {},
  })
  if (complete) {
    // Conditional update: two racing requests set completedAt once, to the first time.
    await db.lessonProgress.updateMany({
      where: { userId, courseSlug, lessonSlug, completedAt: null },
      data: { completedAt: new Date() },
    })
  }
}

export type QuizAttemptResult = { attemptId: string; grade: QuizGrade; replayed: boolean }

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2002'
}

/**
 * Grades and stores one submission. The same submissionId sent twice (a retry, a double
 * click, two racing requests) is stored once and answers with the stored result.
 */
export async function submitQuiz(userId: string, lesson: LessonRecord, submission: QuizSubmission): Promise<QuizAttemptResult> {
  if (!lesson.quiz) throw new Error('this lesson has no quiz')
  const grade = gradeQuiz(lesson.quiz, submission.answers)
  const db = await getDb()
  const key = { userId, submissionId: submission.submissionId }
  const existing = await db.quizAttempt.findUnique({ where: { userId_submissionId: key } })
  if (existing) return replay(existing, lesson, grade)
  try {
    const attempt = await db.$transaction(async (tx) => {
      await tx.lessonProgress.upsert({
        where: { userId_courseSlug_lessonSlug: { userId, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug } },
        create: { userId, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug },
        update: { lastSeenAt: new Date() },
      })
      return tx.quizAttempt.create({
        data: {
          ...key,
          courseSlug: lesson.courseSlug,
          lessonSlug: lesson.slug,
          answers: submission.answers,
          results: grade.results.map(({ questionId, correct, answered }) => ({ questionId, correct, answered })),
          score: grade.score,
          maxScore: grade.maxScore,
        },
      })
    })
    await refreshLessonCompletion(userId, lesson.courseSlug, lesson.slug)
    return { attemptId: attempt.id, grade, replayed: false }
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    const stored = await db.quizAttempt.findUniqueOrThrow({ where: { userId_submissionId: key } })
    return replay(stored, lesson, grade)
  }
}

function replay(stored: { id: string; courseSlug: string; lessonSlug: string; score: number; maxScore: number }, lesson: LessonRecord, grade: QuizGrade): QuizAttemptResult {
  if (stored.courseSlug !== lesson.courseSlug || stored.lessonSlug !== lesson.slug) {
    throw new ApiError(409, 'submission_reused', 'this submission id was already used for another lesson')
  }
  const percent = percentOf(stored)
  return { attemptId: stored.id, grade: { ...grade, score: stored.score, maxScore: stored.maxScore, percent, passed: percent >= lesson.quiz!.passingScore }, replayed: true }
}

export async function lessonProgress(userId: string, courseSlug: string, lessonSlug: string, options: { markStarted?: boolean } = {}): Promise<LessonProgressView> {
  const db = await getDb()
  // Opening the lesson page marks it started and reads it back in the same statement.
  const [row, quiz] = await Promise.all([
    options.markStarted
      ? upsertStarted(db, userId, courseSlug, lessonSlug)
      : db.lessonProgress.findUnique({ where: { userId_courseSlug_lessonSlug: { userId, courseSlug, lessonSlug } } }),
    quizStanding(userId, courseSlug, lessonSlug),
  ])
  return {
    status: lessonStatus({ started: row !== null, completedAt: row?.completedAt ?? null }),
    startedAt: row?.startedAt ?? null,
    completedAt: row?.completedAt ?? null,
    quiz,
  }
}

/** Status of every lesson the learner touched, keyed "course/lesson". */
export async function lessonStatuses(userId: string, courseSlug?: string): Promise<Map<string, LessonStatus>> {
  const db = await getDb()
  const rows = await db.lessonProgress.findMany({
    where: { userId, ...(courseSlug ? { courseSlug } : {}) },
    select: { courseSlug: true, lessonSlug: true, completedAt: true },
  })
  return new Map(rows.map((r) => [`${r.courseSlug}/${r.lessonSlug}`, lessonStatus({ started: true, completedAt: r.completedAt })]))
}

/** Adds visible time to the lesson and records what the learner is working on now. */
export async function recordHeartbeat(userId: string, courseSlug: string, lessonSlug: string, seconds: number, exerciseId: string | null): Promise<void> {
  const db = await getDb()
  const now = new Date()
  const increment = clampHeartbeat(seconds)
  await db.lessonProgress.upsert({
    where: { userId_courseSlug_lessonSlug: { userId, courseSlug, lessonSlug } },
    create: { userId, courseSlug, lessonSlug, activeSeconds: increment },
    update: { activeSeconds: { increment }, lastSeenAt: now },
  })
  // Presence.since is when the learner started on this lesson and exercise without a break:
  // it keeps its value while the beats continue on the same place, and restarts otherwise.
  const stillHere = await db.presence.updateMany({
    where: { userId, courseSlug, lessonSlug, exerciseId, lastSeenAt: { gte: new Date(now.getTime() - presenceBreakMs) } },
    data: { lastSeenAt: now },
  })
  if (stillHere.count === 0) {
    await db.presence.upsert({
      where: { userId },
      create: { userId, courseSlug, lessonSlug, exerciseId, since: now, lastSeenAt: now },
      update: { courseSlug, lessonSlug, exerciseId, since: now, lastSeenAt: now },
    })
  }
}
