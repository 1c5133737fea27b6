import 'server-only'
import { getDb } from '../db/client.server'
import { countUse, secondsUntilWindowEnds, type UsageWindow } from '../db/usage-counter.server'

// Guessing a secret (a password, a class code) costs one attempt, counted in the database
// *before* the secret is checked: two guesses sent at once both count, so no burst of
// concurrent requests gets more checks than the limit. An attempt that turns out not to be a
// miss (the right password, a real code, a request refused for another reason) is refunded.

export type AttemptLimit = { max: number; windowMs: number }

export type Attempt =
  | { allowed: true; window: UsageWindow; refund: () => Promise<void> }
  | { allowed: false; retryAfterSeconds: number }

/** Counts one attempt against `key`: refused, with the true wait, once `limit.max` are already counted in the window. */
export async function takeAttempt(key: string, limit: AttemptLimit, now = Date.now()): Promise<Attempt> {
  const window = await countUse(key, limit.windowMs, now)
  if (window.count > limit.max) return { allowed: false, retryAfterSeconds: secondsUntilWindowEnds(window, limit.windowMs, now) }
  return { allowed: true, window, refund: () => refundUse(key, window) }
}

/** Takes back one count of `window` (never one of a later window, never below zero). */
async function refundUse(key: string, window: UsageWindow): Promise<void> {
  const db = await getDb()
  await db.usageCounter.updateMany({
    where: { key, windowStart: BigInt(window.windowStart), count: { gt: 0 } },
    data: { count: { decrement: 1 } },
  })
}

/** A wait in words for API messages: "45 s", "9 min 43 s". */
export function describeWait(seconds: number): string {
  const minutes = Math.floor(seconds / 60)
  const rest = seconds % 60
  if (minutes === 0) return `${rest} s`
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`
}
