import 'server-only'
import { createRequire } from 'node:module'
import type * as Recheck from 'recheck'

// content:check refuses author patterns that backtrack exponentially, such as `(a+)+$`: with
// a backtracking engine, 30 characters of a learner's answer would hold the server for
// minutes. Quai matches them with RE2 (safe-regex.ts), which is linear whatever the pattern;
// refusing them keeps the courses free of patterns that would freeze any other engine, and
// tells the author the pattern is ambiguous. Polynomial ones (`^\s*2\s*$`, `A.*B`) stay
// allowed: RE2 reads them in linear time, and "A then B" cannot be written otherwise.
// recheck (its native binary) analyses each pattern as JavaScript would run it.

/**
 * Exponential backtracking needs a repetition over a group: two ways of matching the same
 * text, repeated, multiply. A pattern without one (most) need not be analysed: recheck takes
 * up to seconds on long patterns, mostly to grade polynomial ones.
 */
export function repeatsAGroup(pattern: string): boolean {
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === '\\') i++
    else if (inClass) inClass = ch !== ']'
    else if (ch === '[') inClass = true
    else if (ch === ')' && '*+{'.includes(pattern[i + 1] ?? '?')) return true
  }
  return false
}

// recheck takes a quarter of a second to load; most runs of content:check never need it.
let recheck: typeof Recheck | null = null
const checkSync: typeof Recheck.checkSync = (...args) => (recheck ??= createRequire(import.meta.url)('recheck') as typeof Recheck).checkSync(...args)

/**
 * Why the pattern can backtrack catastrophically (exponentially), with an input that shows it,
 * or null. A pattern recheck cannot decide within its time limit is not refused: RE2 runs it.
 */
export function catastrophicBacktracking(pattern: string, flags: string): string | null {
  if (!repeatsAGroup(pattern)) return null
  const diagnostics = checkSync(pattern, flags)
  if (diagnostics.status !== 'vulnerable' || diagnostics.complexity.type !== 'exponential') return null
  return (
    `can backtrack catastrophically: a backtracking engine takes exponential time on ${diagnostics.attack.pattern}; ` +
    'repeat a group only when a text can match it in one way, e.g. (a+)+ → a+, (\\w+\\s?)* → \\w+(\\s\\w+)*'
  )
}
