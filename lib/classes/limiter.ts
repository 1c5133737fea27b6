// Failed join attempts per account, kept in memory: enough to make guessing codes pointless
// (ten misses per quarter of an hour against 5.9 × 10^14 codes), without a table of its own.
// Each server instance counts on its own; the code space is what really protects classes.

export class AttemptLimiter {
  private readonly misses = new Map<string, { count: number; since: number }>()

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Seconds to wait before trying again, or 0 when the key may try now. */
  retryAfter(key: string, now = Date.now()): number {
    const entry = this.misses.get(key)
    if (!entry || now - entry.since >= this.windowMs) return 0
    return entry.count >= this.max ? Math.ceil((entry.since + this.windowMs - now) / 1000) : 0
  }

  miss(key: string, now = Date.now()): void {
    const entry = this.misses.get(key)
    if (!entry || now - entry.since >= this.windowMs) this.misses.set(key, { count: 1, since: now })
    else entry.count++
    if (this.misses.size > 10_000) this.prune(now)
  }

  private prune(now: number): void {
    for (const [key, entry] of this.misses) if (now - entry.since >= this.windowMs) this.misses.delete(key)
  }
}

const globalForLimiter = globalThis as unknown as { quaiJoinLimiter?: AttemptLimiter }
export const joinAttemptLimiter = (globalForLimiter.quaiJoinLimiter ??= new AttemptLimiter(10, 15 * 60_000))
