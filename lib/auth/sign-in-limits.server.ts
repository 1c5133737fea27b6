import 'server-only'
import type { BetterAuthPlugin } from 'better-auth'
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api'
import { clearUse } from '../db/usage-counter.server'
import { clientAddressOf } from './client-ip.server'
import { describeWait, takeAttempt } from './attempt-limits.server'
import { authLimits, limitKeys, type AuthLimitCode } from './sign-in-limits'

// Quai's sign-in and sign-up limits, as a better-auth plugin: checked before the password is,
// settled once better-auth has answered. The address is the one the custom server stamped
// (trusted proxies only, lib/auth/client-ip.server.ts), never a header the client chose.
// better-auth's own per-address limiter is off for these two routes (auth.server.ts).

type Settle = { onSuccess: () => Promise<void>; onOther: () => Promise<void> }

// What the before hook counted for a request, for the after hook to settle (same Request object).
const counted = new WeakMap<Request, Settle>()

const messages: Record<AuthLimitCode, string> = {
  too_many_failed_sign_ins: 'too many failed sign-ins for this account from your address',
  too_many_sign_ins_from_address: 'too many failed sign-ins from your address',
  too_many_sign_ups: 'too many accounts created from your address',
}

function refusal(code: AuthLimitCode, retryAfterSeconds: number): APIError {
  return new APIError(
    'TOO_MANY_REQUESTS',
    { code, message: `${messages[code]}: try again in ${describeWait(retryAfterSeconds)}`, retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  )
}

async function beforeSignIn(request: Request, email: string, address: string): Promise<void> {
  const pairKey = limitKeys.pair(email, address)
  const pair = await takeAttempt(pairKey, authLimits.pair)
  if (!pair.allowed) throw refusal('too_many_failed_sign_ins', pair.retryAfterSeconds)
  const fromAddress = await takeAttempt(limitKeys.address(address), authLimits.address)
  if (!fromAddress.allowed) {
    await pair.refund()
    throw refusal('too_many_sign_ins_from_address', fromAddress.retryAfterSeconds)
  }
  counted.set(request, {
    // The right password: this pair's failures are forgotten and the address's count taken back.
    onSuccess: async () => {
      await Promise.all([clearUse(pairKey), fromAddress.refund()])
    },
    // Refused before any password was compared (a malformed email, a server error): not a miss.
    onOther: async () => {
      await Promise.all([pair.refund(), fromAddress.refund()])
    },
  })
}

export function signInLimits(enabled: boolean): BetterAuthPlugin {
  return {
    id: 'quai-sign-in-limits',
    hooks: {
      before: [
        {
          matcher: (ctx) => enabled && (ctx.path === '/sign-in/email' || ctx.path === '/sign-up/email'),
          handler: createAuthMiddleware(async (ctx) => {
            // Only requests from the web are limited; Quai's own server-side calls have no Request.
            if (!ctx.request) return
            const address = clientAddressOf(ctx.headers ?? ctx.request.headers)
            if (ctx.path === '/sign-up/email') {
              const attempt = await takeAttempt(limitKeys.signUp(address), authLimits.signUp)
              if (!attempt.allowed) throw refusal('too_many_sign_ups', attempt.retryAfterSeconds)
              return
            }
            const email = (ctx.body as { email?: unknown } | undefined)?.email
            if (typeof email !== 'string' || email.trim() === '') return
            await beforeSignIn(ctx.request, email, address)
          }),
        },
      ],
      after: [
        {
          matcher: (ctx) => enabled && ctx.path === '/sign-in/email',
          handler: createAuthMiddleware(async (ctx) => {
            const settle = ctx.request ? counted.get(ctx.request) : undefined
            if (!settle || !ctx.request) return
            counted.delete(ctx.request)
            const returned = ctx.context.returned
            if (!isAPIError(returned)) await settle.onSuccess()
            // A wrong email or password is the one outcome that stays counted.
            else if (returned.statusCode !== 401) await settle.onOther()
          }),
        },
      ],
    },
  }
}
