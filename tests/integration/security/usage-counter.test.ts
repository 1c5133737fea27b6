import { describe, expect, it } from 'vitest'
import { countUse, readUse, secondsUntilWindowEnds } from '@/lib/db/usage-counter.server'

// The one store behind Quai's limits: concurrent counts on one key must all be seen.
describe('usage counters in the database', () => {
  it('counts concurrent uses of one key without losing any, and starts a new window when the last one ended', async () => {
    const key = `test:${Math.random()}`
    const t0 = 1_000_000
    const results = await Promise.all(Array.from({ length: 20 }, () => countUse(key, 60_000, t0)))
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    const current = await readUse(key, 60_000, t0 + 1)
    expect(current).toEqual({ count: 20, windowStart: t0 })
    expect(secondsUntilWindowEnds(current!, 60_000, t0 + 15_500)).toBe(45)
    expect(await readUse(key, 60_000, t0 + 60_000)).toBeNull()
    expect(await countUse(key, 60_000, t0 + 60_001)).toEqual({ count: 1, windowStart: t0 + 60_001 })
  })
})
