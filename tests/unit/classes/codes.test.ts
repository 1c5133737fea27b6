import { describe, expect, it } from 'vitest'
import { formatJoinCode, generateJoinCode, isJoinCodeExpired, joinCodeAlphabet, joinCodeLength, normalizeJoinCode } from '@/lib/classes/codes'
import { afterMiss, retryAfterSeconds, type MissWindow } from '@/lib/classes/limiter'

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
    const limit = { max: 3, windowMs: 60_000 }
    let window: MissWindow | null = null
    for (let i = 0; i < 3; i++) {
      expect(retryAfterSeconds(window, 1000, limit)).toBe(0)
      window = afterMiss(window, 1000, limit)
    }
    expect(retryAfterSeconds(window, 31_000, limit)).toBe(30)
    expect(retryAfterSeconds(null, 31_000, limit)).toBe(0)
    expect(retryAfterSeconds(window, 61_000, limit)).toBe(0)
    expect(afterMiss(window, 61_000, limit)).toEqual({ count: 1, since: 61_000 })
  })
})
