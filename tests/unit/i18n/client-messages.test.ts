import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { authClientMessages, handsOnClientMessages, handsOnSignedOutMessages, lessonClientMessages, rootClientMessages } from '@/lib/i18n/client-messages'
import { missingPaths, pickMessages } from '@/lib/i18n/pick'

// Pages send their client components only the messages listed in lib/i18n/client-messages.ts.
// Each client component's useTranslations namespace must be inside what its part of the page
// sends, in both languages; the end-to-end tests catch a key missing inside a namespace
// (tests/e2e/support/intl-guard.ts).

const root = path.resolve(import.meta.dirname, '..', '..', '..')
const catalogue = (locale: string) =>
  Object.fromEntries(
    fs
      .readdirSync(path.join(root, 'messages', locale))
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.slice(0, -5), JSON.parse(fs.readFileSync(path.join(root, 'messages', locale, f), 'utf8')) as unknown]),
  )

type Part = { name: string; files: (file: string) => boolean; paths: readonly string[]; omit?: readonly string[] }
const parts: Part[] = [
  { name: 'every page (root layout)', files: (f) => /^components\/layout\//.test(f) || f === 'app/error.tsx', paths: rootClientMessages },
  { name: 'sign-in, sign-up, setup', files: (f) => f.startsWith('components/auth/'), paths: authClientMessages },
  { name: 'a lesson', files: (f) => /^components\/(mdx|quiz|lesson)\//.test(f) && !f.endsWith('HandsOnPanel.tsx'), paths: lessonClientMessages },
  { name: 'the hands-on panel', files: (f) => /^components\/(workspace|exercises)\//.test(f) || f.endsWith('HandsOnPanel.tsx'), ...handsOnClientMessages },
  { name: 'the hands-on panel, signed out', files: (f) => f.endsWith('HandsOnPanel.tsx'), paths: handsOnSignedOutMessages },
]

function clientFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const file = `${dir}/${entry.name}`
      if (entry.isDirectory()) walk(file)
      else if (/\.tsx?$/.test(entry.name) && /^['"]use client['"]/.test(fs.readFileSync(path.join(root, file), 'utf8'))) out.push(file)
    }
  }
  walk('components')
  walk('app')
  return out
}

const namespacesOf = (file: string) => [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/useTranslations\(\s*'([^']*)'\s*\)/g)].map((m) => m[1]!)
const resolve = (messages: Record<string, unknown>, namespace: string) =>
  namespace.split('.').reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), messages)

describe('messages sent to client components', () => {
  const files = clientFiles()

  it.each(['fr', 'en'])('%s: every listed path exists', (locale) => {
    const messages = catalogue(locale)
    for (const part of parts) expect(missingPaths(messages, [...part.paths, ...(part.omit ?? [])]), part.name).toEqual([])
  })

  it.each(['fr', 'en'])("%s: each client component's namespaces are in what its part of the page sends", (locale) => {
    const messages = catalogue(locale)
    const problems: string[] = []
    for (const part of parts) {
      const sent = pickMessages(messages, part.paths, part.omit)
      for (const file of files.filter(part.files)) {
        for (const namespace of namespacesOf(file)) {
          if (resolve(sent, namespace) === undefined) problems.push(`${file}: useTranslations('${namespace}') is not sent to ${part.name}`)
        }
      }
    }
    expect(problems).toEqual([])
    // The scan found the lesson's components (a renamed folder would make this test vacuous).
    expect(files.filter((f) => parts.some((p) => p.files(f))).length).toBeGreaterThan(15)
  })

  it('the assertion messages are not in the panel’s messages: the checklist loads them (lib/checks/catalogue.ts)', () => {
    const sent = pickMessages(catalogue('fr'), handsOnClientMessages.paths, handsOnClientMessages.omit) as { exercises: Record<string, unknown> }
    expect(sent.exercises.check).toBeUndefined()
    expect(sent.exercises.panel).toBeDefined()
    for (const file of files.filter((f) => f.startsWith('components/exercises/'))) {
      expect(fs.readFileSync(path.join(root, file), 'utf8'), file).not.toMatch(/\bt(\.has)?\(\s*[`'"]check\./)
    }
  })
})

describe('pickMessages', () => {
  const messages = { a: { x: 'x', y: { z: 'z' } }, b: { w: 'w' }, c: 'c' }

  it('keeps the listed paths, whole and by reference, and nothing else', () => {
    const picked = pickMessages(messages, ['a.y', 'c'])
    expect(picked).toEqual({ a: { y: { z: 'z' } }, c: 'c' })
    expect((picked.a as { y: unknown }).y).toBe(messages.a.y)
    expect(pickMessages(messages, ['a', 'a.y']).a).toBe(messages.a)
    expect(pickMessages(messages, ['a.y', 'a']).a).toBe(messages.a)
  })

  it('leaves out the omitted parts without touching the catalogue', () => {
    const picked = pickMessages(messages, ['a', 'b'], ['a.y'])
    expect(picked).toEqual({ a: { x: 'x' }, b: { w: 'w' } })
    expect(messages.a.y).toEqual({ z: 'z' })
    expect(picked.b).toBe(messages.b)
  })

  it('skips paths that name nothing, and says which', () => {
    expect(pickMessages(messages, ['nope', 'a.nope', 'c.deeper'])).toEqual({})
    expect(missingPaths(messages, ['a.x', 'nope', 'a.nope', 'c.deeper'])).toEqual(['nope', 'a.nope', 'c.deeper'])
  })
})
