// Wrong join codes per account: ten misses per quarter of an hour. Against 5.9 × 10^14 codes
// (30^10), that is 960 guesses a day per account, and a school has at most a few hundred live
// codes: guessing one would take some 10^9 account-days. The counting lives in the database
// (join-attempts.server.ts, on lib/http's usage counters), shared by every server instance.
//
// A right code typed during a lock-out is refused too, with the true wait (at most 15 min): the
// only way to accept it would be to look every guess up, and a lock-out that still answers
// "right" or "wrong" stops nobody. A student who mistyped ten times waits, or follows the
// class's join link once the wait is over; nobody else's misses count against them.

export type MissWindow = { count: number; since: number }

export const joinMissLimit = { max: 10, windowMs: 15 * 60_000 }

/** Seconds to wait before trying again, or 0 when the account may try now (a fixed window, as the usage counters keep it). */
export function retryAfterSeconds(window: MissWindow | null, now: number, limit = joinMissLimit): number {
  if (!window || now - window.since >= limit.windowMs) return 0
  return window.count >= limit.max ? Math.ceil((window.since + limit.windowMs - now) / 1000) : 0
}

/** The window after one more miss: counted in the current window, or the first of a new one (what countUse does in SQL). */
export function afterMiss(window: MissWindow | null, now: number, limit = joinMissLimit): MissWindow {
  if (!window || now - window.since >= limit.windowMs) return { count: 1, since: now }
  return { count: window.count + 1, since: window.since }
}
