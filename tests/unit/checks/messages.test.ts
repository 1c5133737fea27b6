import { describe, expect, test } from 'vitest'
import en from '../../../messages/en/exercises.json'
import fr from '../../../messages/fr/exercises.json'
import { checkTranslator } from '../../../lib/checks/render'

// Every assertion message exists in both languages with the same parameters, and parses as
// ICU (a stray apostrophe before a brace would silently eat a parameter).

function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v)
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv)
  }
  return out
}

/** Top-level argument names of an ICU message (nested sub-messages included). */
function argumentNames(message: string): string[] {
  return [...new Set([...message.matchAll(/\{\s*([a-zA-Z][\w]*)\s*[,}]/g)].map((m) => m[1]!))].sort()
}

describe('message catalogues', () => {
  const frLeaves = leaves(fr)
  const enLeaves = leaves(en)

  test('French and English have the same keys', () => {
    expect([...enLeaves.keys()].sort()).toEqual([...frLeaves.keys()].sort())
  })

  test('each message has the same parameters in both languages', () => {
    // `author` is the one exception: an author's own message carries both texts, and each
    // language reads its own (lib/checks/author-messages.ts).
    const mismatches = [...frLeaves].filter(([key]) => key !== 'check.author').filter(([key, text]) => JSON.stringify(argumentNames(text)) !== JSON.stringify(argumentNames(enLeaves.get(key) ?? '')))
    expect(mismatches.map(([k]) => k)).toEqual([])
  })

  test('no ASCII apostrophe next to a brace (ICU would treat it as a quote)', () => {
    const bad = [...frLeaves, ...enLeaves].filter(([, text]) => /'[{}]|[{}]'/.test(text))
    expect(bad).toEqual([])
  })

  test('every check message renders in both languages without leftover braces', () => {
    for (const locale of ['fr', 'en'] as const) {
      const t = checkTranslator(locale)
      for (const [key, text] of leaves((locale === 'fr' ? fr : en).check)) {
        const params = Object.fromEntries(argumentNames(text).map((name) => [name, name === 'expected' || name === 'mode' || name === 'kind' ? 'true' : name === 'count' || name === 'stages' || name === 'found' || name === 'n' || name === 'max' ? 2 : `<${name}>`]))
        const rendered = t(key, params)
        expect(rendered, `${locale} ${key}`).not.toMatch(/[{}]/)
        expect(rendered.length, `${locale} ${key}`).toBeGreaterThan(3)
      }
    }
  })
})

describe('file panel refusals (messages/*/workspace.json, files.errors)', () => {
  test('every code lib/workspace/files.server.ts refuses with has a message in both languages', async () => {
    const fs = await import('node:fs')
    const source = fs.readFileSync('lib/workspace/files.server.ts', 'utf8')
    const codes = [...new Set([...source.matchAll(/new FileRefusal\(\d+, '([a-z_]+)'/g)].map((m) => m[1]!))].filter((code) => code !== 'conflict')
    expect(codes.length).toBeGreaterThan(5)
    for (const locale of ['fr', 'en'] as const) {
      const { default: workspace } = await import(`../../../messages/${locale}/workspace.json`)
      const errors = (workspace as { files: { errors: Record<string, string> } }).files.errors
      expect(codes.filter((code) => !errors[code]), locale).toEqual([])
    }
  })
})
