import 'server-only'
import { getDb, type Db } from '../db/client.server'
import { getLesson } from '../content/lessons.server'
import { clampHeartbeat, isLessonComplete, lessonStatus, percentOf, presenceBreakMs, type LessonStatus } from './rules'

export type QuizAttemptSummary = { id: string; score: number; maxScore: number; percent: number; createdAt: Date }
export type QuizStanding = { attempts: number; best: QuizAttemptSummary | null; last: QuizAttemptSummary | null }
export type LessonProgressView = { status: LessonStatus; startedAt: Date | null; completedAt: Date | null; quiz: QuizStanding }

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

/**
 * A page view moves lastSeenAt forward at most this often. The page's heartbeat
 * (components/lesson/LessonHeartbeat.tsx) posts as soon as the page shows and every 30 s while
 * it stays visible, and sets lastSeenAt each time; the page view itself only has to create the
 * row the first time. Writing on every GET made each view of a lesson a database write (a
 * write lock on SQLite), for a date the heartbeat sets a moment later anyway.
 */
export const pageViewTouchMs = 5 * 60_000

async function touchStarted(db: Db, userId: string, courseSlug: string, lessonSlug: string) {
  const row = await db.lessonProgress.findUnique({ where: { userId_courseSlug_lessonSlug: { userId, courseSlug, lessonSlug } } })
  if (row && Date.now() - row.lastSeenAt.getTime() < pageViewTouchMs) return row
  return upsertStarted(db, userId, courseSlug, lessonSlug)
}

export async function lessonProgress(userId: string, courseSlug: string, lessonSlug: string, options: { markStarted?: boolean } = {}): Promise<LessonProgressView> {
  const db = await getDb()
  // Opening the lesson page marks it started (a write only the first time, or after pageViewTouchMs).
  const [row, quiz] = await Promise.all([
    options.markStarted
      ? touchStarted(db, userId, courseSlug, lessonSlug)
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
