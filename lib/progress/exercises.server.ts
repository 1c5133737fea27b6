import 'server-only'
import { z } from 'zod'
import { assertionSchema, type AssertionView, type ExerciseStateView, type HintsView, type LastAttemptView } from './api'
import { ApiError } from '../errors'
import type { Exercise } from '../content/schema'
import { getDb, type Db } from '../db/client.server'
import { isUniqueViolation } from '../db/errors'
import { countsAsAttempt, decideHint, isExercisePassed, runFailures, type ExerciseTrigger } from './exercise-rules'
import { gradeOf } from './grade'
import { refreshLessonCompletion } from './lessons.server'

// Exercise attempts, hints and solutions. Every write is one transaction, so an attempt is
// stored with its progress update or not at all, and concurrent requests neither lose nor
// double-count anything (counters are incremented in SQL, "first time" flags are set by
// conditional updates).
//
// Recording a run also keeps the class dashboard's figures (lib/classes/): passed runs in
// ExerciseProgress.passedAttempts next to attempts, and failing assertions per learner in
// ExerciseAssertionFailure, in the same transaction, so they always match the stored runs
// (the assertions' names, ExerciseAssertion, are created just before when new).
//
// Only attempts count: a live run (trigger 'live', lib/checks/live.server.ts) is stored, flagged
// by its trigger, as the exercise's current state, and completes the exercise when it passes,
// but it adds nothing to those counts nor to firstAttemptAt (countsAsAttempt in exercise-rules.ts).

export type { ExerciseTrigger }


export interface AttemptInput {
  userId: string
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  trigger: ExerciseTrigger
  result: { passedCount: number; totalCount: number; durationMs: number; assertions: readonly AssertionView[] }
  /** The exercise's checks, for their weights in the run's grade (gradeOf); without them every check weighs 1. */
  checks?: readonly { weight?: number }[]
}

export interface RecordedAttempt {
  attemptId: string
  passed: boolean
  /** The exercise is complete (now, or from an earlier attempt). */
  completed: boolean
  /** This attempt completed it for the first time. */
  firstCompletion: boolean
  /** The learner's attempts on this exercise so far (live runs are not attempts). */
  attempts: number
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0]
const exerciseKey = (i: { userId: string; courseSlug: string; lessonSlug: string; exerciseId: string }) => ({
  userId: i.userId,
  courseSlug: i.courseSlug,
  lessonSlug: i.lessonSlug,
  exerciseId: i.exerciseId,
})

/** Two first requests racing to create the progress row: the loser retries and finds it. */
async function withCreateRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 3) throw error
    }
  }
}

async function ensureProgress(tx: Tx, key: ReturnType<typeof exerciseKey>) {
  return tx.exerciseProgress.upsert({ where: { userId_courseSlug_lessonSlug_exerciseId: key }, create: key, update: {} })
}

/**
 * The ExerciseAssertion ids of a run's failing assertions, creating the ones never seen before.
 * Outside the run's transaction: an assertion is named once for good, whether or not the run
 * is stored; two first failures racing to name it both end up with the one row.
 */
async function assertionIds(db: Db, key: ReturnType<typeof exerciseKey>, assertionIds: readonly string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  if (assertionIds.length === 0) return ids
  const where = { courseSlug: key.courseSlug, lessonSlug: key.lessonSlug, exerciseId: key.exerciseId }
  for (const row of await db.exerciseAssertion.findMany({ where: { ...where, assertionId: { in: [...assertionIds] } }, select: { id: true, assertionId: true } })) {
    ids.set(row.assertionId, row.id)
  }
  for (const assertionId of assertionIds) {
    if (ids.has(assertionId)) continue
    const unique = { courseSlug_lessonSlug_exerciseId_assertionId: { ...where, assertionId } }
    const row = await withCreateRetry(() => db.exerciseAssertion.upsert({ where: unique, create: { ...where, assertionId }, update: {}, select: { id: true } }))
    ids.set(assertionId, row.id)
  }
  return ids
}

/**
 * One failing assertion of a run, added to its learner's count. The sample (the message shown
 * on the class dashboard) is the assertion of the latest failing run by createdAt, even when
 * two runs of the same learner commit out of order. Called in assertion id order, so two runs
 * of one learner lock the rows in the same order. A first failure racing another one's insert
 * fails with P2002 and the whole transaction is retried.
 */
async function countFailure(tx: Tx, userId: string, courseSlug: string, exerciseAssertionId: number, f: { count: number; sample: unknown }, at: Date) {
  const where = { userId, courseSlug, exerciseAssertionId }
  // The usual case, one statement: the row exists and this run is its latest failure.
  const latest = await tx.exerciseAssertionFailure.updateMany({
    where: { ...where, lastFailedAt: { lte: at } },
    data: { failures: { increment: f.count }, sample: f.sample as object, lastFailedAt: at },
  })
  if (latest.count === 1) return
  // A later run of this learner was stored first: count this one, keep that one's sample.
  const counted = await tx.exerciseAssertionFailure.updateMany({ where, data: { failures: { increment: f.count } } })
  if (counted.count === 1) return
  await tx.exerciseAssertionFailure.create({ data: { ...where, failures: f.count, sample: f.sample as object, lastFailedAt: at } })
}

/** Store one check run and update the exercise's progress, in one transaction; then refresh the lesson. */
export async function recordAttempt(input: AttemptInput): Promise<RecordedAttempt> {
  if (!countsAsAttempt(input.trigger)) return recordLiveRun(input)
  const db = await getDb()
  const key = exerciseKey(input)
  const passed = isExercisePassed(input.result)
  const assertions = input.result.assertions.map((a) => ({ ...a }))
  const failures = runFailures(passed, assertions)
  const ids = await assertionIds(
    db,
    key,
    failures.map((f) => f.assertionId),
  )
  const now = new Date()
  const recorded = await withCreateRetry(() =>
    db.$transaction(async (tx) => {
      const attempt = await tx.exerciseAttempt.create({
        data: {
          ...key,
          passed,
          passedCount: input.result.passedCount,
          totalCount: input.result.totalCount,
          assertions: assertions as object[],
          durationMs: Math.round(input.result.durationMs),
          trigger: input.trigger,
          score: gradeOf(input.checks ?? [], input.result.assertions),
        },
        select: { id: true, createdAt: true },
      })
      await ensureProgress(tx, key)
      const progress = await tx.exerciseProgress.update({
        where: { userId_courseSlug_lessonSlug_exerciseId: key },
        data: { attempts: { increment: 1 }, ...(passed ? { passedAttempts: { increment: 1 } } : {}) },
      })
      for (const f of failures) await countFailure(tx, key.userId, key.courseSlug, ids.get(f.assertionId)!, f, attempt.createdAt)
      await tx.exerciseProgress.updateMany({ where: { ...key, firstAttemptAt: null }, data: { firstAttemptAt: now } })
      const first = passed ? await tx.exerciseProgress.updateMany({ where: { ...key, completedAt: null }, data: { completedAt: now } }) : { count: 0 }
      return {
        attemptId: attempt.id,
        passed,
        completed: passed || progress.completedAt !== null,
        firstCompletion: first.count === 1,
        attempts: progress.attempts,
      }
    }),
  )
  if (recorded.firstCompletion) await refreshLessonCompletion(input.userId, input.courseSlug, input.lessonSlug)
  return recorded
}

/**
 * A live run: stored (trigger 'live') as the exercise's current state, and completing the
 * exercise when it passes, in one transaction; no count of attempts, passed runs or failures.
 */
async function recordLiveRun(input: AttemptInput): Promise<RecordedAttempt> {
  const db = await getDb()
  const key = exerciseKey(input)
  const passed = isExercisePassed(input.result)
  const now = new Date()
  const recorded = await withCreateRetry(() =>
    db.$transaction(async (tx) => {
      const run = await tx.exerciseAttempt.create({
        data: {
          ...key,
          passed,
          passedCount: input.result.passedCount,
          totalCount: input.result.totalCount,
          assertions: input.result.assertions.map((a) => ({ ...a })) as object[],
          durationMs: Math.round(input.result.durationMs),
          trigger: input.trigger,
          score: gradeOf(input.checks ?? [], input.result.assertions),
        },
        select: { id: true },
      })
      await ensureProgress(tx, key)
      const first = passed ? await tx.exerciseProgress.updateMany({ where: { ...key, completedAt: null }, data: { completedAt: now } }) : { count: 0 }
      const progress = await tx.exerciseProgress.findUniqueOrThrow({ where: { userId_courseSlug_lessonSlug_exerciseId: key }, select: { attempts: true, completedAt: true } })
      return { attemptId: run.id, passed, completed: progress.completedAt !== null, firstCompletion: first.count === 1, attempts: progress.attempts }
    }),
  )
  if (recorded.firstCompletion) await refreshLessonCompletion(input.userId, input.courseSlug, input.lessonSlug)
  return recorded
}

export class HintError extends ApiError {
  declare readonly code: 'no_such_hint' | 'hint_out_of_order'
  constructor(code: 'no_such_hint' | 'hint_out_of_order', message: string, details: Record<string, unknown>) {
    super(code === 'no_such_hint' ? 404 : 409, code, message, details)
  }
}

export type { HintsView }

type ExerciseRef = { userId: string; courseSlug: string; lessonSlug: string; exercise: Pick<Exercise, 'id' | 'hints' | 'solution'> }

/**
 * Reveal hint `index` (0-based). Hints come in order: hint 2 needs hints 0 and 1 first.
 * Idempotent: asking twice for the same hint records it once, even when the two requests race.
 */
export async function revealHint(ref: ExerciseRef & { index: number }): Promise<HintsView> {
  const db = await getDb()
  const key = exerciseKey({ ...ref, exerciseId: ref.exercise.id })
  const total = ref.exercise.hints.length
  const { revealed, recorded } = await withCreateRetry(() =>
    db.$transaction(async (tx) => {
      const progress = await ensureProgress(tx, key)
      const decision = decideHint(progress.hintsRevealed, ref.index, total)
      if (decision.action === 'no-such-hint') throw new HintError('no_such_hint', `exercise ${ref.exercise.id} has ${total} hint(s); there is no hint ${ref.index + 1}`, { total })
      if (decision.action === 'out-of-order') {
        throw new HintError('hint_out_of_order', `hints come in order: reveal hint ${decision.expected + 1} first`, { next: decision.expected })
      }
      if (decision.action === 'already') return { revealed: decision.revealedAfter, recorded: false }
      // Conditional on the count read above: of two racing requests for the same hint, one wins.
      const won = await tx.exerciseProgress.updateMany({ where: { ...key, hintsRevealed: ref.index }, data: { hintsRevealed: ref.index + 1 } })
      if (won.count === 1) await tx.exerciseEvent.create({ data: { ...key, kind: 'hint', hintIndex: ref.index } })
      return { revealed: ref.index + 1, recorded: won.count === 1 }
    }),
  )
  return { hints: ref.exercise.hints.slice(0, revealed), total, recorded }
}

/** Reveal the solution (recorded once, however many times it is asked for). */
export async function revealSolution(ref: ExerciseRef): Promise<{ solution: string; recorded: boolean }> {
  const db = await getDb()
  const key = exerciseKey({ ...ref, exerciseId: ref.exercise.id })
  const recorded = await withCreateRetry(() =>
    db.$transaction(async (tx) => {
      await ensureProgress(tx, key)
      const won = await tx.exerciseProgress.updateMany({ where: { ...key, solutionRevealed: false }, data: { solutionRevealed: true } })
      if (won.count === 1) await tx.exerciseEvent.create({ data: { ...key, kind: 'solution' } })
      return won.count === 1
    }),
  )
  return { solution: ref.exercise.solution, recorded }
}

export type { ExerciseStateView, LastAttemptView }

const storedAssertions = z.array(assertionSchema).catch([])

/** The learner's state for each exercise of a lesson, keyed by exercise id. */
export async function getExerciseStates(
  userId: string,
  courseSlug: string,
  lessonSlug: string,
  exercises: readonly Pick<Exercise, 'id' | 'hints' | 'solution'>[],
): Promise<Record<string, ExerciseStateView>> {
  const db = await getDb()
  const [progressRows, lastAttempts] = await Promise.all([
    db.exerciseProgress.findMany({ where: { userId, courseSlug, lessonSlug } }),
    db.exerciseAttempt.findMany({ where: { userId, courseSlug, lessonSlug }, orderBy: { createdAt: 'desc' }, distinct: ['exerciseId'] }),
  ])
  const states: Record<string, ExerciseStateView> = {}
  for (const exercise of exercises) {
    const row = progressRows.find((p) => p.exerciseId === exercise.id)
    const last = lastAttempts.find((a) => a.exerciseId === exercise.id)
    const revealed = Math.min(row?.hintsRevealed ?? 0, exercise.hints.length)
    states[exercise.id] = {
      attempts: row?.attempts ?? 0,
      completed: Boolean(row?.completedAt),
      completedAt: row?.completedAt?.toISOString() ?? null,
      hints: exercise.hints.slice(0, revealed),
      hintCount: exercise.hints.length,
      solutionRevealed: row?.solutionRevealed ?? false,
      solution: row?.solutionRevealed ? exercise.solution : null,
      lastAttempt: last
        ? {
            passed: last.passed,
            passedCount: last.passedCount,
            totalCount: last.totalCount,
            durationMs: last.durationMs,
            trigger: last.trigger === 'live' ? 'live' : 'manual',
            createdAt: last.createdAt.toISOString(),
            assertions: storedAssertions.parse(last.assertions),
          }
        : null,
    }
  }
  return states
}
