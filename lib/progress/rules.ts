// How a lesson counts as done. Pure functions: the database layer feeds them facts.

export type LessonStatus = 'not-started' | 'in-progress' | 'completed'

export type LessonFacts = {
  started: boolean
  /** Set once the lesson was completed; completion is never taken back. */
  completedAt: Date | null
  hasQuiz: boolean
  quizPassingScore: number
  bestQuizPercent: number | null
  exerciseIds: string[]
  completedExerciseIds: string[]
  /** The learner pressed "mark as read" (only offered on lessons with neither quiz nor exercises). */
  markedRead: boolean
}

/** What a lesson still needs before it counts as complete; nothing listed means complete. */
export type MissingWork = {
  /** Exercises not passed yet, in the lesson's order. */
  exerciseIds: string[]
  /** The quiz has not reached its passing score yet (best: the learner's best so far, null before any attempt). */
  quiz: { passingScore: number; best: number | null } | null
  /** A reading lesson (neither quiz nor exercises) waits for "mark as read". */
  markRead: boolean
}

/**
 * The one "has work" rule: a lesson with a quiz or exercises is completed by them; a reading
 * lesson (neither) by "mark as read", which only it offers (the lesson page, the progress route).
 */
export function hasWork(lesson: { hasQuiz: boolean; exerciseCount: number }): boolean {
  return lesson.hasQuiz || lesson.exerciseCount > 0
}

/**
 * A lesson with work to do is complete when every exercise passes and the quiz reaches its
 * passing score; a reading lesson when it is marked read. The progress page lists what is missing.
 */
export function missingWork(facts: Omit<LessonFacts, 'started' | 'completedAt'>): MissingWork {
  const withWork = hasWork({ hasQuiz: facts.hasQuiz, exerciseCount: facts.exerciseIds.length })
  const quizDone = !facts.hasQuiz || (facts.bestQuizPercent !== null && facts.bestQuizPercent >= facts.quizPassingScore)
  return {
    exerciseIds: facts.exerciseIds.filter((id) => !facts.completedExerciseIds.includes(id)),
    quiz: quizDone ? null : { passingScore: facts.quizPassingScore, best: facts.bestQuizPercent },
    markRead: !withWork && !facts.markedRead,
  }
}

export function isLessonComplete(facts: Omit<LessonFacts, 'started' | 'completedAt'>): boolean {
  const missing = missingWork(facts)
  return missing.exerciseIds.length === 0 && missing.quiz === null && !missing.markRead
}

export function lessonStatus(facts: Pick<LessonFacts, 'started' | 'completedAt'>): LessonStatus {
  if (facts.completedAt) return 'completed'
  return facts.started ? 'in-progress' : 'not-started'
}

/** A quiz attempt's score in percent, rounded; 0 for a quiz worth nothing. */
export const percentOf = (a: { score: number; maxScore: number }) => (a.maxScore === 0 ? 0 : Math.round((a.score / a.maxScore) * 100))

export function coursePercent(statuses: LessonStatus[]): number {
  if (statuses.length === 0) return 0
  return Math.round((statuses.filter((s) => s === 'completed').length / statuses.length) * 100)
}

/** Heartbeats add the time a lesson page was visible; one beat never counts more than this. */
export const maxHeartbeatSeconds = 60

/** Beats further apart than this (a closed tab, a long break) start a new stretch of presence. */
export const presenceBreakMs = 3 * maxHeartbeatSeconds * 1000

export function clampHeartbeat(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0
  return Math.min(Math.round(seconds), maxHeartbeatSeconds)
}
