// An exercise's grade from one check run, with partial credit: each assertion counts for its
// check's weight (exercises.yaml, `weight`, 1 by default), and the grade is the weight of the
// passed assertions over the weight of all of them, from 0 to 1. A pending assertion (live
// mode's placeholder) has not passed. Pure: computed when a run is stored (recordAttempt).

export type GradedAssertion = { check: number; passed: boolean; pending?: boolean }

export function gradeOf(checks: readonly { weight?: number }[], assertions: readonly GradedAssertion[]): number {
  let total = 0
  let passed = 0
  for (const assertion of assertions) {
    const weight = checks[assertion.check]?.weight ?? 1
    total += weight
    if (assertion.passed && !assertion.pending) passed += weight
  }
  return total === 0 ? 0 : passed / total
}

/** A grade (0 to 1) as a percentage with one decimal, as shown and exported. */
export const gradePercent = (score: number): number => Math.round(score * 1000) / 10
