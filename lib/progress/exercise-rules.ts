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

/** An exercise is complete when a run had assertions and all of them passed. */
export function isExercisePassed(result: { passedCount: number; totalCount: number }): boolean {
  return result.totalCount > 0 && result.passedCount === result.totalCount
}
