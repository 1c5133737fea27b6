import { type AssertionList, describeMatch, excerpt, ref, textMatches } from '../assertions'
import type { TextMatch } from '../../content/check-kinds'
import type { MessageKey, MessageParams, MessageRef } from '../messages'

// Pieces shared by the evaluators: generic "property" lines and key/value maps (env, labels).

/** What an assertion is about, for generic messages: "le conteneur web", "l’image app:1"… */
export type Subject = MessageRef

export const subject = {
  container: (name: string) => ref('subject.container', { name }),
  image: (name: string) => ref('subject.image', { name }),
  network: (name: string) => ref('subject.network', { name }),
  volume: (name: string) => ref('subject.volume', { name }),
  service: (name: string) => ref('subject.service', { name }),
  composeService: (service: string) => ref('subject.composeService', { service }),
}

export type PropName = MessageKey & `prop.${string}`

/**
 * A property compared with an expected value: "pour le conteneur web, politique de
 * redémarrage : no, attendu always". `found` null means the subject does not exist yet.
 */
export function propLine(
  out: AssertionList,
  id: string,
  prop: MessageRef,
  subj: Subject,
  expected: string | number | MessageRef,
  found: { value: string | number | MessageRef; ok: boolean } | null,
): void {
  const params: MessageParams = { prop, subject: subj, expected }
  if (found === null) return out.pending(id, 'common.prop.expect', params)
  out.add(id, found.ok, found.ok ? 'common.prop.ok' : 'common.prop.differs', { ...params, found: found.value })
}

/** Each expected key of a map (environment variables, labels) is one assertion. */
export function mapLines(
  out: AssertionList,
  idPrefix: string,
  what: 'env' | 'label',
  subj: Subject,
  expected: Record<string, TextMatch>,
  actual: Record<string, string> | null,
): void {
  for (const [key, match] of Object.entries(expected)) {
    const id = `${idPrefix}:${what}:${key}`
    const params: MessageParams = { subject: subj, key, expected: describeMatch(match) }
    if (actual === null) {
      out.pending(id, `common.${what}.expect`, params)
      continue
    }
    if (!Object.prototype.hasOwnProperty.call(actual, key)) {
      out.add(id, false, `common.${what}.missing`, params)
      continue
    }
    const value = actual[key] ?? ''
    const ok = textMatches(match, value)
    out.add(id, ok, ok ? `common.${what}.ok` : `common.${what}.differs`, { ...params, found: excerpt(value, 120) })
  }
}

export const mb = (bytes: number): MessageRef => ref('value.mb', { n: Math.round((bytes / 1048576) * 10) / 10 })

/** Near misses for "no X named Y": names that differ only by case, separators or a typo. */
export function nearMisses(wanted: string, names: readonly string[] | null, max = 5): string[] {
  if (!names) return []
  const norm = (s: string) => s.toLowerCase().replace(/[-_.\s]/g, '')
  const w = norm(wanted)
  const scored = names
    .filter((n) => n !== wanted)
    .map((n) => ({ n, d: distance(norm(n), w) }))
    .filter(({ n, d }) => d <= Math.max(2, Math.floor(w.length / 4)) || norm(n).includes(w) || w.includes(norm(n)))
    .sort((a, b) => a.d - b.d)
  return scored.slice(0, max).map((s) => s.n)
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

/** "aucun conteneur nommé X" + "(vouliez-vous dire : Y ?)" when a near miss exists. */
export function missingParams(name: string, names: readonly string[] | null): MessageParams {
  const close = nearMisses(name, names)
  return { name, suggestion: close.length ? ref('common.didYouMean', { names: close.join(', ') }) : '' }
}
