import { describe, expect, it } from 'vitest'
import { formatJoinCode, generateJoinCode, isJoinCodeExpired, joinCodeAlphabet, joinCodeLength, normalizeJoinCode } from '@/lib/classes/codes'
import { AttemptLimiter } from '@/lib/classes/limiter'

describe('join codes', () => {
  it('are ten characters without look-alikes, different each time', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => generateJoinCode()))
    expect(codes.size).toBe(2000)
    for (const code of codes) {
      expect(code).toHaveLength(joinCodeLength)
      expect(code).toMatch(/^[2-9A-HJKMNP-TV-Z]+$/)
    }
    expect(joinCodeAlphabet).not.toMatch(/[01OILU]/)
  })

  it('are shown in two groups and read back whatever the case, spaces or dashes', () => {
    expect(formatJoinCode('K7PMXR3TAQ')).toBe('K7PMX-R3TAQ')
    expect(normalizeJoinCode('k7pmx-r3taq')).toBe('K7PMXR3TAQ')
    expect(normalizeJoinCode(' K7PMX R3TAQ ')).toBe('K7PMXR3TAQ')
  })

  it('refuse what cannot be a code', () => {
    expect(normalizeJoinCode('K7PMX')).toBeNull()
    expect(normalizeJoinCode('K7PMX-R3TA0')).toBeNull()
    expect(normalizeJoinCode('K7PMX-R3TAQ-2')).toBeNull()
  })

  it('expire at their expiry time, never without one', () => {
    const now = new Date('2026-03-01T10:00:00Z')
    expect(isJoinCodeExpired(null, now)).toBe(false)
    expect(isJoinCodeExpired(new Date('2026-03-01T10:00:00Z'), now)).toBe(true)
    expect(isJoinCodeExpired(new Date('2026-03-01T10:00:01Z'), now)).toBe(false)
  })
})

describe('failed join attempts', () => {
  it('lock an account out for the rest of the window after too many misses', () => {
    const limiter = new AttemptLimiter(3, 60_000)
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('u', 1000)).toBe(0)
      limiter.miss('u', 1000)
    }
    expect(limiter.retryAfter('u', 31_000)).toBe(30)
    expect(limiter.retryAfter('other', 31_000)).toBe(0)
    expect(limiter.retryAfter('u', 61_000)).toBe(0)
  })
})
