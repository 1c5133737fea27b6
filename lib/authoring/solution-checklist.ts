import type { Assertion } from '../checks/assertions'
import { renderAssertion } from '../checks/render'
import type { SolutionRunAssertion } from '../classes/schemas'
import type { Check } from '../content/check-kinds'

/**
 * The lines of a solution run as the preview shows them: each with the label its author gave
 * the check, so a line reads in the terms of the exercise ("le silence a été levé"), not only
 * in the catalogue's.
 */
export function solutionRunAssertions(checks: readonly Check[], assertions: readonly Assertion[], locale: 'fr' | 'en'): SolutionRunAssertion[] {
  return assertions.map((a) => ({
    id: a.id,
    check: a.check,
    label: checks[a.check]?.label ?? null,
    passed: a.passed,
    pending: a.pending === true,
    message: renderAssertion(a, locale),
  }))
}

/** The failing lines of a run as the solvability test prints them: "✗ [label] id: message". */
export function failingLines(lines: readonly SolutionRunAssertion[]): string[] {
  return lines.filter((a) => !a.passed).map((a) => `  ✗ ${a.label ? `[${a.label}] ` : ''}${a.id}: ${a.message}`)
}
