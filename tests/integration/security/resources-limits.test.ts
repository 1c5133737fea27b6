// Per-user limits (lib/http/usage-limits.server.ts) on a real database: the rates are the
// database's fixed windows (shared by every server instance), the in-flight caps are this
// process's. The routes call `admit` and `limitedHandler` exactly as used here; the workspace
// integration test (tests/integration/workspace/resources.suite.ts) checks them through the
// server's routes. Live mode's own limit is checked on the host daemon standing in for a node.
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SandboxAccess } from '@/lib/checks/exercise.server'
import type { LiveEvent } from '@/lib/checks/live.server'
import { getEnv, resetEnvForTests } from '@/lib/env.server'
import {
  admit,
  countAgainst,
  inFlightCount,
  inFlightRetrySeconds,
  limitedHandler,
  rateLimitedAnswer,
  RateLimitedError,
  takeSlot,
  usageLimits,
} from '@/lib/http/usage-limits.server'
import { createLab, docker, type Lab } from '../checks/support'
import { createUser, freshClient } from '../../support/progress-suite'

const user = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`
const limitEnv = Object.keys(process.env).filter((k) => k.startsWith('QUAI_LIMIT_'))

beforeAll(() => {
  for (const k of limitEnv) delete process.env[k]
  process.env.BETTER_AUTH_SECRET ??= 'x'.repeat(40)
  resetEnvForTests()
})

afterEach(() => {
  for (const k of Object.keys(process.env).filter((k) => k.startsWith('QUAI_LIMIT_'))) delete process.env[k]
  resetEnvForTests()
})

describe('rates per minute, in the database', () => {
  it('refuses the 31st check of a minute with a 429 that says when to come back, and another user is not affected', async () => {
    const alice = user('alice')
    const bob = user('bob')
    const t0 = Date.now()
    for (let i = 0; i < 30; i++) expect((await countAgainst('checks', alice, t0 + i)).allowed).toBe(true)
    // 45 s into the window, the next one is refused for the 15 s left.
    const refused = await countAgainst('checks', alice, t0 + 45_000)
    expect(refused).toMatchObject({ allowed: false, count: 31, retryAfterSeconds: 15 })
    if (refused.allowed) throw new Error('unreachable')
    expect(refused.error).toBeInstanceOf(RateLimitedError)
    expect(refused.error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 15, limit: 'checks' })
    expect(refused.error.message).toBe('too many checks: 30 a minute at most; try again in 15 s')
    expect((await countAgainst('checks', bob, t0 + 45_000)).allowed).toBe(true)
    // A new window, a new allowance.
    expect((await countAgainst('checks', alice, t0 + 60_001)).allowed).toBe(true)
  })

  it('answers a refusal as 429 rate_limited with Retry-After and retryAfterSeconds (what the routes return)', async () => {
    const carol = user('carol')
    const route = limitedHandler(async () => {
      const release = await admit('checks', carol)
      release()
      return Response.json({ ok: true })
    })
    for (let i = 0; i < 30; i++) expect((await route()).status).toBe(200)
    const response = await route()
    expect(response.status).toBe(429)
    const retry = Number(response.headers.get('retry-after'))
    expect(retry).toBeGreaterThanOrEqual(1)
    expect(retry).toBeLessThanOrEqual(60)
    expect(await response.json()).toEqual({
      error: { code: 'rate_limited', message: `too many checks: 30 a minute at most; try again in ${retry} s`, retryAfterSeconds: retry, limit: 'checks' },
    })
    // The same answer for code that writes raw HTTP (the terminal's upgrade, the port proxy).
    const error = new RateLimitedError('terminals', 7, 'too many terminal connections: 60 a minute at most; try again in 7 s')
    const raw = rateLimitedAnswer(error)
    expect(raw).toMatchObject({ status: 429, headers: { 'retry-after': '7' } })
    expect(JSON.parse(raw.body)).toMatchObject({ error: { code: 'rate_limited', retryAfterSeconds: 7, limit: 'terminals' } })
  })

  it('takes its values from validated environment variables', async () => {
    expect(usageLimits()).toMatchObject({
      checks: { perMinute: 30, inFlight: 2 },
      liveChecks: { perMinute: 60 },
      liveStreams: { perMinute: 60, inFlight: 6 },
      fileCalls: { perMinute: 120, inFlight: 4 },
      terminals: { perMinute: 60, inFlight: 16 },
      proxyRequests: { inFlight: 32 },
    })
    process.env.QUAI_LIMIT_FILE_CALLS_PER_MINUTE = '3'
    resetEnvForTests()
    const dave = user('dave')
    for (let i = 0; i < 3; i++) (await admit('fileCalls', dave))()
    await expect(admit('fileCalls', dave)).rejects.toThrow('too many file operations: 3 a minute at most')
    // A refused call does not keep its in-flight slot.
    expect(inFlightCount('fileCalls', dave)).toBe(0)
    process.env.QUAI_LIMIT_FILE_CALLS_PER_MINUTE = '0'
    resetEnvForTests()
    expect(() => getEnv()).toThrow(/QUAI_LIMIT_FILE_CALLS_PER_MINUTE/)
  })
})

describe('in-flight caps, per server instance', () => {
  it('holds each user to their own cap, frees a slot when the work ends, and releasing twice frees one slot', () => {
    const erin = user('erin')
    const frank = user('frank')
    const releases = [takeSlot('fileCalls', erin), takeSlot('fileCalls', erin), takeSlot('fileCalls', erin), takeSlot('fileCalls', erin)]
    let refusal: unknown
    try {
      takeSlot('fileCalls', erin)
    } catch (error) {
      refusal = error
    }
    expect(refusal).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: inFlightRetrySeconds, limit: 'fileCalls' })
    expect((refusal as Error).message).toBe(`too many file operations at once: 4 at most; wait for one to finish (try again in ${inFlightRetrySeconds} s)`)
    // Frank is not affected.
    takeSlot('fileCalls', frank)()
    releases[0]!()
    releases[0]!()
    expect(inFlightCount('fileCalls', erin)).toBe(3)
    releases.push(takeSlot('fileCalls', erin))
    expect(() => takeSlot('fileCalls', erin)).toThrow(RateLimitedError)
    for (const release of releases) release()
    expect(inFlightCount('fileCalls', erin)).toBe(0)
  })

  it('gives the port proxy an in-flight cap per user: 32 proxied requests at once', () => {
    const gina = user('gina')
    const releases = Array.from({ length: 32 }, () => takeSlot('proxyRequests', gina))
    expect(() => takeSlot('proxyRequests', gina)).toThrow('too many requests to your published ports at once: 32 at most')
    for (const release of releases) release()
    takeSlot('proxyRequests', gina)()
  })
})

describe("live mode counts its runs against the owner's limit", () => {
  let lab: Lab
  let live: typeof import('@/lib/checks/live.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- imported after the environment is set
  let owner: string

  beforeAll(async () => {
    process.env.QUAI_CONTENT_DIR = path.join(import.meta.dirname, '../checks/fixtures/content')
    const db = await freshClient()
    owner = await createUser(db)
    lab = await createLab('limits')
    live = await import('@/lib/checks/live.server')
  })

  afterAll(async () => {
    await lab?.cleanup()
  })

  it('says so and stops reading the sandbox once the owner has used their live checks of the minute', async () => {
    process.env.QUAI_LIMIT_LIVE_CHECKS_PER_MINUTE = '2'
    resetEnvForTests()
    const access: SandboxAccess = {
      async requireRunning() {
        return { nodes: ['node1'] }
      },
      async target() {
        return lab.target
      },
    }
    const events: LiveEvent[] = []
    const unsubscribe = await live.subscribeLive(
      'limits-sandbox',
      { userId: owner, courseSlug: 'checks-lab', lessonSlug: 'live', exerciseId: 'network-and-member', send: (e) => events.push(e), close: () => {} },
      access,
    )
    try {
      const waitFor = async (match: (e: LiveEvent) => boolean, ms = 15_000) => {
        const deadline = Date.now() + ms
        while (!events.some(match) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        return events.find(match)
      }
      // Each network made is an event on the daemon, so a run; the third run of the minute is refused.
      for (let i = 0; i < 3 && !events.some((e) => e.type === 'status' && e.code === 'rate_limited'); i++) {
        const results = events.filter((e) => e.type === 'result').length
        await docker('network', 'create', '--label', 'quai.test=checks', lab.n(`limit-${i}`))
        await waitFor((e) => (e.type === 'result' && events.filter((x) => x.type === 'result').length > results) || (e.type === 'status' && e.code === 'rate_limited'))
      }
      const limited = await waitFor((e) => e.type === 'status' && e.code === 'rate_limited')
      expect(limited).toMatchObject({ type: 'status', state: 'watching', code: 'rate_limited' })
      expect((limited as { message: string }).message).toMatch(/^too many live checks: 2 a minute at most; try again in \d+ s$/)
      expect(events.filter((e) => e.type === 'result')).toHaveLength(2)
      // More events meanwhile read nothing more.
      await docker('network', 'create', '--label', 'quai.test=checks', lab.n('limit-more'))
      await new Promise((r) => setTimeout(r, 2000))
      expect(events.filter((e) => e.type === 'result')).toHaveLength(2)
    } finally {
      unsubscribe()
    }
  })
})
