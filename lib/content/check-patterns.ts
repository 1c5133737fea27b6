import { CHECK_PATTERN_FLAGS, type Check, type TextMatch } from './check-kinds'

// Every regular expression an author wrote in one check, with where it is, so that
// content:check can analyse each one (lib/content/validate.server.ts). A new field that takes
// a TextMatch or a pattern must be listed here; tests/unit/checks/patterns.test.ts sets them all.

export interface CheckPattern {
  /** Path inside the check, as zod reports it: ["stdout", "matches"], ["matches", 0]. */
  path: (string | number)[]
  pattern: string
  flags: string
}

function fromMatch(path: (string | number)[], match: TextMatch | undefined): CheckPattern[] {
  return match !== undefined && typeof match === 'object' && 'matches' in match ? [{ path: [...path, 'matches'], pattern: match.matches, flags: CHECK_PATTERN_FLAGS }] : []
}

function fromRecord(field: string, record: Record<string, TextMatch> | undefined): CheckPattern[] {
  return Object.entries(record ?? {}).flatMap(([key, match]) => fromMatch([field, key], match))
}

export function checkPatterns(check: Check): CheckPattern[] {
  switch (check.kind) {
    case 'image':
    case 'container':
      return [...fromRecord('env', check.env), ...fromRecord('labels', check.labels)]
    case 'service':
      return fromRecord('env', check.env)
    case 'http':
      return [...fromRecord('responseHeaders', check.responseHeaders), ...fromMatch(['body'], check.body)]
    case 'file':
      return (check.matches ?? []).map((pattern, i) => ({ path: ['matches', i], pattern, flags: CHECK_PATTERN_FLAGS }))
    case 'command':
      return fromMatch(['stdout'], check.stdout)
    default:
      return []
  }
}
