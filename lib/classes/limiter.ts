// Failed join attempts per account: ten misses per quarter of an hour make guessing a code
// pointless (against 5.9 × 10^14 codes). The window is a plain value so that it can live in
// the database (join-attempts.server.ts), shared by every server instance.

export type MissWindow = { count: number; since: number }

export const joinMissLimit = { max: 10, windowMs: 15 * 60_000 }

/** Seconds to wait before trying again, or 0 when the account may try now. */
export function retryAfterSeconds(window: MissWindow | null, now: number, limit = joinMissLimit): number {
  if (!window || now - window.since >= limit.windowMs) return 0
  return window.count >= limit.max ? Math.ceil((window.since + limit.windowMs - now) / 1000) : 0
}

/** The window after one more miss: counted in the current window, or the first of a new one. */
export function afterMiss(window: MissWindow | null, now: number, limit = joinMissLimit): MissWindow {
  if (!window || now - window.since >= limit.windowMs) return { count: 1, since: now }
  return { count: window.count + 1, since: window.since }
}
