// The class dashboard's check-run figures recounted from raw runs, one by one: the reference
// that the counts kept at write time (ExerciseProgress.passedAttempts, ExerciseAssertionFailure:
// see lib/progress/exercises.server.ts and migration 0003) must match. The integration tests
// recount a class's stored runs with it and compare; the server never counts this way.
// Only attempts count: a live run (trigger 'live') is stored but adds nothing. Written out here
// rather than through the server's countsAsAttempt, so that the reference does not share its rule.
import { exerciseKey, type AttemptAgg, type FailureRow } from '@/lib/classes/aggregate'
import { failedAssertions } from '@/lib/progress/exercise-rules'

export { failedAssertions }

export type AttemptLite = {
  userId: string
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  passed: boolean
  createdAt: Date
  assertions: unknown
  /** 'manual' (a click on "Vérifier") or 'live'; runs stored without one are attempts. */
  trigger?: string
}

export type FailureGroup = {
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  assertionId: string
  failures: number
  users: Set<string>
  sample: unknown
  sampleAt: number
}

export type AttemptTally = {
  runs: Map<string, { courseSlug: string; lessonSlug: string; exerciseId: string; total: number; passed: number }>
  failures: Map<string, FailureGroup>
}

export const emptyTally = (): AttemptTally => ({ runs: new Map(), failures: new Map() })

const failureKey = (exercise: string, assertionId: string) => `${exercise}\u0000${assertionId}`

/** Adds one run to a tally (mutates it); a live run is no attempt and adds nothing. */
export function foldAttempt(tally: AttemptTally, attempt: AttemptLite): void {
  if (attempt.trigger === 'live') return
  const key = exerciseKey(attempt.courseSlug, attempt.lessonSlug, attempt.exerciseId)
  const runs = tally.runs.get(key) ?? { courseSlug: attempt.courseSlug, lessonSlug: attempt.lessonSlug, exerciseId: attempt.exerciseId, total: 0, passed: 0 }
  runs.total++
  if (attempt.passed) runs.passed++
  tally.runs.set(key, runs)
  if (attempt.passed) return
  const at = attempt.createdAt.getTime()
  for (const { id, sample } of failedAssertions(attempt.assertions)) {
    const fk = failureKey(key, id)
    const group = tally.failures.get(fk)
    if (!group) {
      tally.failures.set(fk, { courseSlug: attempt.courseSlug, lessonSlug: attempt.lessonSlug, exerciseId: attempt.exerciseId, assertionId: id, failures: 1, users: new Set([attempt.userId]), sample, sampleAt: at })
      continue
    }
    group.failures++
    group.users.add(attempt.userId)
    if (at >= group.sampleAt) {
      group.sample = sample
      group.sampleAt = at
    }
  }
}

export function tallyRows(tally: AttemptTally): { attempts: AttemptAgg[]; failures: FailureRow[] } {
  const attempts: AttemptAgg[] = []
  for (const r of tally.runs.values()) {
    attempts.push({ courseSlug: r.courseSlug, lessonSlug: r.lessonSlug, exerciseId: r.exerciseId, passed: true, count: r.passed })
    attempts.push({ courseSlug: r.courseSlug, lessonSlug: r.lessonSlug, exerciseId: r.exerciseId, passed: false, count: r.total - r.passed })
  }
  const failures = [...tally.failures.values()].map((g) => ({
    courseSlug: g.courseSlug,
    lessonSlug: g.lessonSlug,
    exerciseId: g.exerciseId,
    assertionId: g.assertionId,
    failures: g.failures,
    students: g.users.size,
    sample: g.sample,
  }))
  return { attempts, failures }
}
