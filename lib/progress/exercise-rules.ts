// Rules for hints and exercise completion. Pure: the database layer feeds them the stored counts.

export type HintDecision =
  /** Record it: this is the next hint. */
  | { action: 'reveal'; revealedAfter: number }
  /** Already revealed: show it again, record nothing. */
  | { action: 'already'; revealedAfter: number }
  /** Hints come in order: hint `index` needs hint `expected` first. */
  | { action: 'out-of-order'; expected: number }
  | { action: 'no-such-hint'; count: number }

/** Hints are revealed one at a time, in order; asking again for a revealed one is harmless. */
export function decideHint(revealed: number, index: number, count: number): HintDecision {
  if (!Number.isInteger(index) || index < 0 || index >= count) return { action: 'no-such-hint', count }
  if (index < revealed) return { action: 'already', revealedAfter: revealed }
  if (index === revealed) return { action: 'reveal', revealedAfter: revealed + 1 }
  return { action: 'out-of-order', expected: revealed }
}

/** What started a check run: the learner's "Vérifier" button, or live mode re-reading the sandbox. */
export type ExerciseTrigger = 'manual' | 'live'

/**
 * An attempt is something the learner did: a click on "Vérifier". A live run re-reads the
 * sandbox on its own while the learner reads or types; it shows the current state, and may
 * complete the exercise (the work is done), but it is no attempt: it adds nothing to the runs,
 * the passed runs or the failing assertions that the class dashboard, its CSV export and the
 * student view count (recordAttempt, and migration 0006 for the runs stored before).
 */
export function countsAsAttempt(trigger: string): boolean {
  return trigger !== 'live'
}

/** An exercise is complete when a run had assertions and all of them passed. */
export function isExercisePassed(result: { passedCount: number; totalCount: number }): boolean {
  return result.totalCount > 0 && result.passedCount === result.totalCount
}

/**
 * The assertions of a stored run that count as failures: objects with a string id, failed,
 * and not merely pending (live mode's placeholders). The class dashboard's "most failed
 * assertions" counts these, in recordAttempt and in the backfill of migration 0003.
 */
export function failedAssertions(assertions: unknown): { id: string; sample: unknown }[] {
  if (!Array.isArray(assertions)) return []
  return assertions.flatMap((a: unknown) => {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) return []
    const { id, passed, pending } = a as { id?: unknown; passed?: unknown; pending?: unknown }
    return typeof id === 'string' && passed === false && pending !== true ? [{ id, sample: a }] : []
  })
}

/**
 * What one run adds to its learner's failure counts, per assertion id, in id order: a passed
 * run adds nothing; an id listed twice counts twice, and its last occurrence is the sample.
 */
export function runFailures(passed: boolean, assertions: unknown): { assertionId: string; count: number; sample: unknown }[] {
  if (passed) return []
  const byId = new Map<string, { assertionId: string; count: number; sample: unknown }>()
  for (const { id, sample } of failedAssertions(assertions)) {
    const entry = byId.get(id)
    if (entry) {
      entry.count++
      entry.sample = sample
    } else byId.set(id, { assertionId: id, count: 1, sample })
  }
  return [...byId.values()].sort((a, b) => (a.assertionId < b.assertionId ? -1 : a.assertionId > b.assertionId ? 1 : 0))
}
