import { describe, expect, it } from 'vitest'
import { localPath } from '@/lib/auth/next-path'

// `?next=` after signing in: only a path on Quai's own origin is followed. Each nasty value is
// given as the page reads it (URLSearchParams has decoded it once) and, for the encoded ones,
// as it appears in the address bar.
const fromQuery = (query: string) => new URLSearchParams(query).get('next')

describe('the page to open after signing in', () => {
  it.each([
    ['/courses/demo/quiz-lesson', '/courses/demo/quiz-lesson'],
    ['/join/K7PMX-R3TAQ', '/join/K7PMX-R3TAQ'],
    ['/setup?token=abc_DEF-123', '/setup?token=abc_DEF-123'],
    ['/teach#classes', '/teach#classes'],
    ['/courses/../teach', '/teach'],
    ['/%2F%2Fevil.com', '/%2F%2Fevil.com'],
    ['/%5Cevil.com', '/%5Cevil.com'],
  ])('keeps the local path %j', (value, expected) => {
    expect(localPath(value)).toBe(expected)
  })

  it.each([
    // Backslashes: browsers read them as slashes.
    '/\\evil.com',
    '/\\/evil.com',
    '\\\\evil.com',
    '/\\\\evil.com',
    // Tabs and line breaks: browsers drop them, leaving //evil.com.
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r\n/evil.com',
    '/\r/evil.com',
    '/\u0000/evil.com',
    '/\u007f/evil.com',
    // Protocol-relative, schemes and absolute URLs.
    '//evil.com',
    '///evil.com',
    '//evil.com/courses',
    'https://evil.com',
    'http:evil.com',
    'javascript:alert(1)',
    'JavaScript:alert(document.cookie)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.com',
    'courses/demo',
    '',
  ])('refuses %j', (value) => {
    expect(localPath(value)).toBe('/')
  })

  it.each([
    ['next=/%5Cevil.com', '/'],
    ['next=/%09/evil.com', '/'],
    ['next=/%0D%0A/evil.com', '/'],
    ['next=/%0a/evil.com', '/'],
    ['next=%2F%2Fevil.com', '/'],
    ['next=%2F%5Cevil.com', '/'],
    ['next=/\\evil.com', '/'],
    ['next=%5C%5Cevil.com', '/'],
    ['next=https%3A%2F%2Fevil.com', '/'],
    ['next=javascript%3Aalert(1)', '/'],
    ['next=%2Fcourses%2Fdemo', '/courses/demo'],
  ])('reads ?%s as %j', (query, expected) => {
    expect(localPath(fromQuery(query))).toBe(expected)
  })

  it('falls back to what it is given, and for nothing at all', () => {
    expect(localPath(null)).toBe('/')
    expect(localPath(undefined, '/teach')).toBe('/teach')
    expect(localPath('//evil.com', '/progress')).toBe('/progress')
    expect(localPath(`/${'a'.repeat(3000)}`)).toBe('/')
  })

  it('never returns anything a browser would leave the origin for', () => {
    const base = 'https://quai.example.org'
    const candidates = ['/\\evil.com', '/\t/evil.com', '//evil.com', '/%09/evil.com', '/./\\evil', '/a/../\\evil.com', '/.//evil.com', '/..//evil.com']
    for (const value of candidates) {
      const path = localPath(value)
      expect(new URL(path, base).origin, value).toBe(base)
    }
  })
})
