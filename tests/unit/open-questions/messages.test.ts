import { IntlMessageFormat } from 'intl-messageformat'
import { describe, expect, test } from 'vitest'
import en from '../../../messages/en/openQuestions.json'
import fr from '../../../messages/fr/openQuestions.json'

// The open questions' strings: the same keys and parameters in both languages, each a valid ICU
// message (an apostrophe before a brace would eat a parameter).

function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v)
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv)
  }
  return out
}
const names = (message: string) => [...new Set([...message.matchAll(/\{\s*([a-zA-Z]\w*)\s*[,}]/g)].map((m) => m[1]!))].sort()

describe('open questions: message catalogues', () => {
  const frLeaves = leaves(fr)
  const enLeaves = leaves(en)
  test('French and English have the same keys and parameters', () => {
    expect([...enLeaves.keys()].sort()).toEqual([...frLeaves.keys()].sort())
    expect([...frLeaves].filter(([key, text]) => JSON.stringify(names(text)) !== JSON.stringify(names(enLeaves.get(key) ?? ''))).map(([k]) => k)).toEqual([])
  })
  test('every message parses as ICU and keeps its parameters', () => {
    for (const [locale, catalogue] of [['fr', frLeaves], ['en', enLeaves]] as const) {
      for (const [key, text] of catalogue) {
        expect(/'[{}]|[{}]'/.test(text), `${locale} ${key}`).toBe(false)
        expect(() => new IntlMessageFormat(text, locale), `${locale} ${key}`).not.toThrow()
      }
    }
  })
})
