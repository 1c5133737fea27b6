import 'server-only'
import { getEnv } from '../env.server'
import { ApiError, apiErrorResponse, handler } from './api.server'
import { countUse, secondsUntilWindowEnds } from '../db/usage-counter.server'
import { webMetrics } from '../metrics/web.server'

// Per-user limits on what costs Quai an exec or a read on a Docker engine: checks, live checks,
// file calls, terminal connections, proxied requests. Two kinds, because they guard different things:
//
// - A rate ("30 checks a minute") is counted in the database (lib/db/usage-counter.server.ts, fixed
//   windows of one minute), so it holds across every server instance and across restarts.
// - An in-flight cap ("2 checks at once") is an in-memory count of what runs now, so it holds
//   per server instance: with N instances behind a balancer a learner can have N times as many.
//   It is the right tool for what holds an exec open (a download, a terminal, a proxied request):
//   a rate says nothing about how long each one lasts.
//
// Values come from the environment (QUAI_LIMIT_*, validated in env.server.ts, documented in
// docs/security.md). A refusal is a RateLimitedError: HTTP 429, code `rate_limited`, with
// `retryAfterSeconds` in the body and a Retry-After header (limitedHandler, rateLimitedAnswer).

export const limitWindowMs = 60_000

/** Seconds to suggest after an in-flight refusal: nothing says when a slot frees, but one usually does within that time. */
export const inFlightRetrySeconds = 2

type LimitSpec = { perMinute?: number; inFlight?: number; what: string }

export type LimitName = 'checks' | 'liveChecks' | 'liveStreams' | 'fileCalls' | 'terminals' | 'proxyRequests'

/** The limits in force (read from the validated environment, so a test can change them with resetEnvForTests). */
export function usageLimits(): Record<LimitName, LimitSpec> {
  const env = getEnv()
  return {
    checks: { perMinute: env.QUAI_LIMIT_CHECKS_PER_MINUTE, inFlight: env.QUAI_LIMIT_CHECKS_IN_FLIGHT, what: 'checks' },
    liveChecks: { perMinute: env.QUAI_LIMIT_LIVE_CHECKS_PER_MINUTE, what: 'live checks' },
    liveStreams: { perMinute: env.QUAI_LIMIT_LIVE_STREAMS_PER_MINUTE, inFlight: env.QUAI_LIMIT_LIVE_STREAMS_IN_FLIGHT, what: 'live connections' },
    fileCalls: { perMinute: env.QUAI_LIMIT_FILE_CALLS_PER_MINUTE, inFlight: env.QUAI_LIMIT_FILE_CALLS_IN_FLIGHT, what: 'file operations' },
    terminals: { perMinute: env.QUAI_LIMIT_TERMINALS_PER_MINUTE, inFlight: env.QUAI_LIMIT_TERMINALS_IN_FLIGHT, what: 'terminal connections' },
    proxyRequests: { inFlight: env.QUAI_LIMIT_PROXY_IN_FLIGHT, what: 'requests to your published ports' },
  }
}

export class RateLimitedError extends ApiError {
  constructor(
    readonly limit: LimitName,
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(429, 'rate_limited', message, { retryAfterSeconds, limit })
  }
}

/** What a refusal of the per-minute limit `name` says, with the seconds left until its window ends. */
export function rateLimitMessage(name: LimitName, retryAfterSeconds: number): string {
  const spec = usageLimits()[name]
  return `too many ${spec.what}: ${spec.perMinute} a minute at most; try again in ${retryAfterSeconds} s`
}

export type RateVerdict = { allowed: true; count: number } | { allowed: false; count: number; retryAfterSeconds: number; error: RateLimitedError }

/** Counts one use against the per-minute limit `name` of this user; says whether it is allowed (never throws for a refusal). */
export async function countAgainst(name: LimitName, userId: string, now = Date.now()): Promise<RateVerdict> {
  const spec = usageLimits()[name]
  if (spec.perMinute === undefined) return { allowed: true, count: 0 }
  const window = await countUse(`limit:${name}:${userId}`, limitWindowMs, now)
  if (window.count <= spec.perMinute) return { allowed: true, count: window.count }
  const retryAfterSeconds = secondsUntilWindowEnds(window, limitWindowMs, now)
  const error = new RateLimitedError(name, retryAfterSeconds, rateLimitMessage(name, retryAfterSeconds))
  return { allowed: false, count: window.count, retryAfterSeconds, error }
}

const globalForLimits = globalThis as unknown as { quaiInFlight?: Map<string, number> }
const inFlight: Map<string, number> = (globalForLimits.quaiInFlight ??= new Map())

/** What this user has in flight under `name` in this server instance. */
export function inFlightCount(name: LimitName, userId: string): number {
  return inFlight.get(`${name}:${userId}`) ?? 0
}

/**
 * Takes one of this user's in-flight slots for `name` (per server instance) or throws
 * RateLimitedError. Returns the release function (idempotent: call it when the work ends,
 * whichever way it ends). For the port proxy: `const release = takeSlot('proxyRequests', userId)`.
 */
export function takeSlot(name: LimitName, userId: string): () => void {
  const spec = usageLimits()[name]
  if (spec.inFlight === undefined) return () => {}
  const key = `${name}:${userId}`
  const now = inFlight.get(key) ?? 0
  if (now >= spec.inFlight) {
    throw new RateLimitedError(
      name,
      inFlightRetrySeconds,
      `too many ${spec.what} at once: ${spec.inFlight} at most; wait for one to finish (try again in ${inFlightRetrySeconds} s)`,
    )
  }
  inFlight.set(key, now + 1)
  let released = false
  return () => {
    if (released) return
    released = true
    const left = (inFlight.get(key) ?? 1) - 1
    if (left <= 0) inFlight.delete(key)
    else inFlight.set(key, left)
  }
}

/**
 * Admits one use of `name` by this user: takes an in-flight slot (when the limit has one), then
 * counts it against the per-minute limit (when it has one). Throws RateLimitedError; otherwise
 * returns the slot's release function.
 */
export async function admit(name: LimitName, userId: string): Promise<() => void> {
  const release = takeSlot(name, userId)
  try {
    const verdict = await countAgainst(name, userId)
    if (!verdict.allowed) throw verdict.error
    return release
  } catch (error) {
    release()
    throw error
  }
}

/**
 * The 429 as a plain HTTP answer, for code that writes raw responses (WebSocket upgrades, the
 * port proxy), counted in quai_errors_total as apiErrorResponse counts the others.
 */
export function rateLimitedAnswer(error: RateLimitedError): { status: 429; headers: Record<string, string>; body: string } {
  webMetrics().errors.inc({ code: error.code })
  return {
    status: 429,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(error.retryAfterSeconds) },
    body: JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } }),
  }
}

/** `handler` (lib/http/api.server.ts), plus the Retry-After header on a RateLimitedError's 429. */
export function limitedHandler<Args extends unknown[]>(fn: (...args: Args) => Promise<Response>) {
  return handler(async (...args: Args): Promise<Response> => {
    try {
      return await fn(...args)
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error
      const response = apiErrorResponse(error)
      response.headers.set('retry-after', String(error.retryAfterSeconds))
      return response
    }
  })
}
