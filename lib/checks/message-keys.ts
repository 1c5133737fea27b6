import { idMatches } from './author-messages'
import { evaluateCheck } from './evaluate'
import { emptyNodeFacts } from './facts'
import path from 'node:path'
import type { Check } from '../content/check-kinds'
import type { LessonRecord } from '../content/load.server'
import { withExerciseId, type ContentProblem } from '../content/problems'

// content:check asks which assertions a check produces, to refuse an author message keyed by
// an assertion the check never reports (a typo would silently keep the catalogue's message).

/**
 * The assertion ids a check produces: the same lines on a fresh sandbox as once it passes. A
 * file check is read as a missing file (its content lines wait for it), not as an unread probe
 * (which lists only whether the file exists).
 */
export function assertionIdsOf(check: Check): string[] {
  const facts = emptyNodeFacts(check.node ?? 'node1')
  if (check.kind === 'file') facts.probes.set('0', { kind: 'file', outcome: 'missing' })
  return evaluateCheck({ ...check, messages: undefined }, 0, facts).map((a) => a.id)
}

/** The keys of `messages:` that name none of the check's assertions, with the ids they could name. */
export function unknownMessageKeys(check: Check): { key: string; ids: string[] }[] {
  if (!check.messages) return []
  let ids: string[]
  try {
    ids = assertionIdsOf(check)
  } catch {
    return []
  }
  return Object.keys(check.messages)
    .filter((key) => !ids.some((id) => idMatches(id, key)))
    .map((key) => ({ key, ids }))
}

/** content:check's problems with `messages:` keys, one per key that names no assertion of its check. */
export function messageKeyProblems(lessons: readonly LessonRecord[]): ContentProblem[] {
  return lessons.flatMap((lesson) => {
    const file = path.join(lesson.dir, 'exercises.yaml')
    const ids = lesson.exercises.map((e) => e.id)
    return lesson.exercises.flatMap((exercise, i) =>
      exercise.checks.flatMap((check, j) =>
        unknownMessageKeys(check).map(({ key, ids: assertionIds }) => ({
          file,
          field: withExerciseId(`exercises[${i}].checks[${j}].messages.${key}`, ids),
          message: `no assertion of this check ends with "${key}": its assertions are ${assertionIds.join(', ')}`,
        })),
      ),
    )
  })
}
