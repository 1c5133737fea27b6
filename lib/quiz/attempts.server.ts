import 'server-only'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Quiz } from '../content/schema'
import { classesFollowing } from './following-classes.server'
import { getDb } from '../db/client.server'
import { clearUse, countUse } from '../db/usage-counter.server'
import { ApiError } from '../errors'
import { validateAnswers, type QuizGrade, type QuizSubmission } from './grade.server'
import { attemptsLeft, effectiveQuizPolicy, quizOwnPolicy, visibleExplanations, withExplanations, type QuizPolicy } from './policy'

// A submission under the learner's quiz policy: refused once the attempts are used up (counted
// from the stored QuizAttempt rows; a retried submissionId is the same attempt, answered again),
// and answered with only the explanations the policy allows.

export class QuizClosedError extends ApiError {
  constructor(
    readonly attempts: number,
    readonly maxAttempts: number,
  ) {
    super(409, 'quiz_closed', `all ${maxAttempts} attempts at this quiz are used: submissions are closed`, { attempts, maxAttempts })
  }
}

export class QuizBusyError extends ApiError {
  constructor() {
    super(409, 'quiz_busy', 'another submission of this quiz is being graded: try again in a moment')
  }
}

type LessonQuiz = { courseSlug: string; slug: string; quiz: Quiz }
export type RecordedAttempt = { attemptId: string; grade: QuizGrade; replayed: boolean }

/** The policy a learner gets for this quiz: active classes that follow its course replace the quiz's, the strictest wins. */
export async function quizPolicyFor(userId: string | null, courseSlug: string, quiz: Quiz): Promise<QuizPolicy> {
  if (!userId) return quizOwnPolicy(quiz)
  return effectiveQuizPolicy(quiz, await classesFollowing(userId, courseSlug))
}

const percentOf = (a: { score: number; maxScore: number }) => (a.maxScore === 0 ? 0 : Math.round((a.score / a.maxScore) * 100))

async function storedAttempts(userId: string, lesson: LessonQuiz) {
  const db = await getDb()
  return db.quizAttempt.findMany({
    where: { userId, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug },
    select: { submissionId: true, score: true, maxScore: true },
  })
}

// While an attempt is being graded and stored, its number (the count of stored attempts when it
// started) is held in a usage counter: of two submissions that read the same count, one holds
// the number and the other waits for the first to be stored, then counts again. So the limit
// holds against concurrent submissions, on every server instance.
const slotWindowMs = 60_000
const slotTries = 40

async function holdAttemptNumber(userId: string, lesson: LessonQuiz, submissionId: string, maxAttempts: number): Promise<(() => Promise<void>) | 'replay'> {
  const db = await getDb()
  const where = { userId, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug }
  for (let tries = 0; tries < slotTries; tries++) {
    const rows = await storedAttempts(userId, lesson)
    if (rows.some((r) => r.submissionId === submissionId)) return 'replay'
    const used = rows.length
    if (used >= maxAttempts) throw new QuizClosedError(used, maxAttempts)
    const key = `quiz-attempt:${userId}:${lesson.courseSlug}/${lesson.slug}:${used}`
    const slot = await countUse(key, slotWindowMs)
    // Held, and still the right number (no attempt was stored since the rows were read).
    if (slot.count === 1 && (await db.quizAttempt.count({ where })) === used) return () => clearUse(key)
    await sleep(40 + Math.floor(Math.random() * 80))
  }
  throw new QuizBusyError()
}

export type PolicedSubmission = {
  attemptId: string
  replayed: boolean
  score: number
  maxScore: number
  percent: number
  passed: boolean
  results: { questionId: string; correct: boolean; answered: boolean; explanation?: string }[]
  policy: QuizPolicy
  attemptsUsed: number
  attemptsLeft: number | null
}

/**
 * Grades and stores one submission through `record` (submitQuiz, submit.server.ts), within the
 * learner's policy. Throws QuizSubmissionError (bad answers), QuizClosedError (no attempt
 * left), QuizBusyError (held by a concurrent submission for too long).
 */
export async function submitWithinPolicy(userId: string, lesson: LessonQuiz, submission: QuizSubmission, record: () => Promise<RecordedAttempt>): Promise<PolicedSubmission> {
  validateAnswers(lesson.quiz, submission.answers)
  const policy = await quizPolicyFor(userId, lesson.courseSlug, lesson.quiz)
  // Unlimited attempts, or a retry of a stored submission (answered again, not counted): nothing to hold.
  const held = policy.maxAttempts === null ? 'replay' : await holdAttemptNumber(userId, lesson, submission.submissionId, policy.maxAttempts)
  let recorded: RecordedAttempt
  try {
    recorded = await record()
  } finally {
    if (held !== 'replay') await held()
  }
  const rows = await storedAttempts(userId, lesson)
  const passedBefore = rows.some((r) => r.submissionId !== submission.submissionId && percentOf(r) >= lesson.quiz.passingScore)
  const { grade } = recorded
  const visible = visibleExplanations(policy, grade.results, grade.passed || passedBefore)
  return {
    attemptId: recorded.attemptId,
    replayed: recorded.replayed,
    score: grade.score,
    maxScore: grade.maxScore,
    percent: grade.percent,
    passed: grade.passed,
    results: withExplanations(lesson.quiz.questions, grade.results, visible),
    policy,
    attemptsUsed: rows.length,
    attemptsLeft: attemptsLeft(policy, rows.length),
  }
}
