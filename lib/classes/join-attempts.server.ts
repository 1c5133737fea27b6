import 'server-only'
import { takeAttempt, type Attempt } from '../auth/attempt-limits.server'
import { joinMissLimit } from './limiter'

// Join-code guesses per account, in Quai's usage counters (shared by every server instance).
// Each lookup takes an attempt before the code is looked up, so concurrent guesses all count;
// a code that exists gives it back. During a lock-out no code is looked up, a right one
// included: accepting a right code then would mean checking every guess, which is what the
// lock-out exists to stop (limiter.ts).
const keyOf = (userId: string) => `join-miss:${userId}`

export function takeJoinAttempt(userId: string, now = Date.now()): Promise<Attempt> {
  return takeAttempt(keyOf(userId), joinMissLimit, now)
}
