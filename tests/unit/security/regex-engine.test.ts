// lib/text/safe-regex.ts: author patterns, written in JavaScript's syntax, run on RE2 with the
// answers JavaScript would give; what RE2 cannot run in linear time is refused with a reason.
import { describe, expect, test } from 'vitest'
import { catastrophicBacktracking, repeatsAGroup } from '@/lib/text/backtracking.server'
import { compileSafeRegex, MAX_PROGRAM_SIZE, safeRegexProblem, safeTest, translateToRe2 } from '@/lib/text/safe-regex'

describe('same answers as JavaScript', () => {
  const patterns: [string, string][] = [
    ['^\\s*2\\s*$', 'm'], ['^\\s*2\\s*$', ''], ['a.b', ''], ['a.b', 's'], ['[\\s\\S]+', ''], ['[^\\s]+', ''], ['\\S+', ''], ['\\bfoo\\b', 'i'],
    ['(?<year>\\d{4})-(?<month>\\d{2})', ''], ['[a[]', ''], ['\\u00e9t\\u00E9', 'i'], ['\\x41', ''], ['\\cJ', ''], ['\\/x\\/', ''], ['a{,5}', ''],
    ['a{2,3}?', ''], ['x$', ''], ['escales enregistrées\\s*:\\s*[1-9]', ''], ['[\\b]', ''], ['\\0', ''], ['[\\w-]+', ''], ['(a|ab)(c|bcd)(d*)', ''],
    ['É', 'i'], ['[à-ü]+', 'i'], ['\\.', ''], ['a\\ b', ''], ['^CACHE_TTL_SECONDS=10\\s*$', 'm'], ['"result":\\[\\{', 'm'], ['(^|\\n)/?secrets/?(\\n|$)', 'm'],
  ]
  const inputs = [
    '2', '\n2\n', ' 2 \n', 'a\nb', 'a\rb', 'a\u2028b', 'axb', '\u00a0', ' foo ', 'FOO', '2026-12', 'a[', 'été', 'ÉTÉ', 'A', '\n', '/x/', 'a{,5}', 'aaa',
    'escales enregistrées\u00a0: 3', '\b', '\0', 'ab-c', 'abcd', 'ÉTÉ à', 'a.b', 'a b', 'CACHE_TTL_SECONDS=10 \r\nX=1', '{"result":[{"x":1}]}', 'a\n/secrets/\nb',
  ]
  test.each(patterns)('/%s/%s', (pattern, flags) => {
    const js = new RegExp(pattern, flags)
    const re2 = compileSafeRegex(pattern, flags)
    for (const input of inputs) {
      const expected = js.exec(input)
      const found = re2.exec(input)
      expect(found && { index: found.index, groups: found.groups }, JSON.stringify(input)).toEqual(expected && { index: expected.index, groups: [...expected] })
      if (expected?.groups) expect(found?.named).toEqual({ ...expected.groups })
    }
  })

  test('matchAll and the cached helper', () => {
    expect(compileSafeRegex('\\d+').matchAll('a1b22c333').map((m) => m.groups[0])).toEqual(['1', '22', '333'])
    expect(safeTest('^ok$', 'x\nok\n', 'm')).toBe(true)
    expect(safeTest('^ok$', 'x\nok\n')).toBe(false)
  })

  test('known difference, documented for authors: in multiline mode, lines end at \\n only', () => {
    expect(new RegExp('^b', 'm').test('a\rb')).toBe(true)
    expect(safeTest('^b', 'a\rb', 'm')).toBe(false)
  })
})

describe('refused, with the reason', () => {
  test.each([
    ['(a)\\1', 'backreferences (\\1)'],
    ['(?<w>a)\\k<w>', 'backreferences (\\k<name>)'],
    ['(?=a)a', 'lookarounds'],
    ['a(?!b)', 'lookarounds'],
    ['(?<=a)b', 'lookarounds'],
    ['(?<!a)b', 'lookarounds'],
    ['[^]', 'write [\\s\\S]'],
    ['a[]', 'never matches'],
    ['\\z', 'not an escape in JavaScript'],
    ['\\p{L}', 'not an escape in JavaScript'],
    ['\\01', 'octal'],
    ['a{1001}', 'RE2 cannot compile it'],
    ['(?:[ab]{12}a[ab]{12}){20}$', `at most ${MAX_PROGRAM_SIZE}`],
    ['([', 'Unterminated character class'],
  ])('/%s/', (pattern, reason) => {
    expect(safeRegexProblem(pattern)).toContain(reason)
    expect(() => compileSafeRegex(pattern)).toThrow(`/${pattern}/: `)
  })

  test('flags other than i, m and s', () => {
    expect(safeRegexProblem('a', 'g')).toMatch(/flag "g"/)
    expect(safeRegexProblem('a', 'ims')).toBeNull()
  })

  test('the translation keeps JavaScript meanings RE2 spells differently', () => {
    expect(translateToRe2('a.b')).toBe('a[^\\n\\r\\x{2028}\\x{2029}]b')
    expect(translateToRe2('a.b', 's')).toBe('a.b')
    expect(translateToRe2('(?<n>x)[[]')).toBe('(?P<n>x)[\\[]')
  })
})

describe('catastrophic backtracking (content:check)', () => {
  test('only patterns that repeat a group are analysed', () => {
    expect(repeatsAGroup('(a+)+$')).toBe(true)
    expect(repeatsAGroup('(?:ab){2,}')).toBe(true)
    expect(repeatsAGroup('^\\s*2\\s*$')).toBe(false)
    expect(repeatsAGroup('^(redis-cli\\s+)?ttl')).toBe(false)
    expect(repeatsAGroup('\\(a\\)+[)]*')).toBe(false)
  })

  test('exponential patterns are refused with an input that shows it; polynomial and linear ones pass', () => {
    expect(catastrophicBacktracking('(a+)+$', 'm')).toMatch(/^can backtrack catastrophically: a backtracking engine takes exponential time on '.+'/)
    expect(catastrophicBacktracking('^(\\w+\\s?)*$', 'i')).toMatch(/exponential/)
    expect(catastrophicBacktracking('^\\s*2\\s*$', 'm')).toBeNull()
    expect(catastrophicBacktracking('admin-ip.*admin-auth', 'm')).toBeNull()
    expect(catastrophicBacktracking('^(ab)+$', '')).toBeNull()
  })
})
