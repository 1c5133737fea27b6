import { safeTest } from '../text/safe-regex'
import { CHECK_PATTERN_FLAGS, type TextMatch } from '../content/check-kinds'
import type { MessageKey, MessageParams, MessageRef } from './messages'

// An assertion is one line of the learner's checklist: a stable id, passed or not, and a
// message (key + params, rendered in the learner's language) that says what was expected
// and what was found. A check (one entry of `checks:` in exercises.yaml) expands into one
// or more assertions.

export interface Assertion {
  /** Stable across runs, e.g. "network:tp-network:member:test-server". */
  id: string
  /** Index of the check in the exercise's `checks` list. */
  check: number
  passed: boolean
  key: MessageKey
  params: MessageParams
  /** Could not be evaluated yet because what it is about does not exist (the message says what is expected). */
  pending?: boolean
}

export const ref = (key: MessageKey, params: MessageParams = {}): MessageRef => ({ key, params })

/** Collects the assertions of one check, keeping their ids unique within the run. */
export class AssertionList {
  readonly items: Assertion[] = []
  private readonly ids = new Set<string>()

  constructor(readonly check: number) {}

  add(id: string, passed: boolean, key: MessageKey, params: MessageParams = {}): void {
    let unique = id
    for (let n = 2; this.ids.has(unique); n++) unique = `${id}#${n}`
    this.ids.add(unique)
    this.items.push({ id: unique, check: this.check, passed, key, params })
  }

  pending(id: string, key: MessageKey, params: MessageParams = {}): void {
    this.add(id, false, key, params)
    this.items[this.items.length - 1]!.pending = true
  }

  /** ok/fail in one call: the message key is chosen by the outcome. */
  expect(id: string, passed: boolean, okKey: MessageKey, failKey: MessageKey, params: MessageParams = {}): void {
    this.add(id, passed, passed ? okKey : failKey, params)
  }
}

export function assertionId(...parts: (string | number)[]): string {
  return parts.map(String).join(':')
}

// ---------------------------------------------------------------- text matching

export type MatchMode = 'equals' | 'contains' | 'matches'

export function matchMode(m: TextMatch): { mode: MatchMode; expected: string } {
  if (typeof m === 'string') return { mode: 'equals', expected: m }
  if ('contains' in m) return { mode: 'contains', expected: m.contains }
  if ('matches' in m) return { mode: 'matches', expected: m.matches }
  return { mode: 'equals', expected: m.equals }
}

export function textMatches(m: TextMatch, value: string): boolean {
  const { mode, expected } = matchMode(m)
  if (mode === 'equals') return value === expected
  if (mode === 'contains') return value.includes(expected)
  // The value is the learner's (output, file, header): RE2, linear in its length.
  try {
    return safeTest(expected, value, CHECK_PATTERN_FLAGS)
  } catch {
    return false
  }
}

/** "« x »", "containing « x »", "matching /x/": rendered by the `match.*` messages. */
export function describeMatch(m: TextMatch): MessageRef {
  const { mode, expected } = matchMode(m)
  return ref(`match.${mode}`, { value: expected })
}

/** Long outputs are cut in messages: the learner needs a glimpse, not a dump. */
export function excerpt(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export function listOrNone(items: readonly string[]): MessageRef | string {
  return items.length ? items.join(', ') : ref('value.none')
}

// ---------------------------------------------------------------- Docker names

/** "nginx", "docker.io/library/nginx:latest" and "library/nginx" name the same image. */
export function normalizeImageRef(ref: string): { repo: string; tag: string | null } {
  let r = ref.trim().replace(/@sha256:[0-9a-f]+$/, '')
  r = r.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '')
  r = r.replace(/^library\//, '')
  const slash = r.lastIndexOf('/')
  const colon = r.lastIndexOf(':')
  if (colon > slash) return { repo: r.slice(0, colon), tag: r.slice(colon + 1) }
  return { repo: r, tag: null }
}

/**
 * Does the image the learner used match the expected one? Without a tag, the expected
 * image matches any tag of that repository ("nginx" accepts nginx:alpine); with a tag, the
 * tag must match, and a missing tag means "latest".
 */
export function imageMatches(expected: string, actual: string): boolean {
  const e = normalizeImageRef(expected)
  const a = normalizeImageRef(actual)
  if (e.repo !== a.repo) return false
  if (e.tag === null) return true
  return e.tag === (a.tag ?? 'latest')
}

export function isRootUser(user: string): boolean {
  const name = user.split(':')[0]?.trim() ?? ''
  return name === '' || name === 'root' || name === '0'
}

/** Dot path lookup in parsed YAML/JSON: "services.api.ports.0". */
export function getPath(value: unknown, path: string): { found: boolean; value: unknown } {
  let current: unknown = value
  for (const part of path.split('.')) {
    if (current === null || current === undefined) return { found: false, value: undefined }
    if (Array.isArray(current)) {
      const index = Number(part)
      if (!Number.isInteger(index) || index < 0 || index >= current.length) return { found: false, value: undefined }
      current = current[index]
    } else if (typeof current === 'object') {
      if (!Object.prototype.hasOwnProperty.call(current, part)) return { found: false, value: undefined }
      current = (current as Record<string, unknown>)[part]
    } else {
      return { found: false, value: undefined }
    }
  }
  return { found: true, value: current }
}

/** Expected scalar vs parsed value: 80 and "80" are the same port to a learner. */
export function scalarEquals(expected: string | number | boolean, actual: unknown): boolean {
  if (actual === expected) return true
  if (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean') return String(actual) === String(expected)
  return false
}

export function showValue(value: unknown): string {
  if (value === undefined) return '—'
  if (typeof value === 'string') return value
  return excerpt(JSON.stringify(value) ?? String(value), 80)
}
