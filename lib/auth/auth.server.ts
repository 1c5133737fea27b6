import 'server-only'
import { betterAuth } from 'better-auth'
import { prismaAdapter } from 'better-auth/adapters/prisma'
import { nextCookies } from 'better-auth/next-js'
import { getDb } from '../db/client.server'
import { databaseKind, resolveDatabaseUrl } from '../db/url'
import { getEnv } from '../env.server'
import { clientAddressHeader } from './client-ip.server'
import { signInLimits } from './sign-in-limits.server'

async function createAuth() {
  const db = await getDb()
  const env = getEnv()
  const limitsOn = env.QUAI_AUTH_RATE_LIMIT !== 'off'
  return betterAuth({
    appName: 'Quai',
    baseURL: env.appUrl,
    secret: env.authSecret,
    database: prismaAdapter(db, { provider: databaseKind(resolveDatabaseUrl()) }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: env.QUAI_ALLOW_SIGNUP === 'false',
      minPasswordLength: 8,
      maxPasswordLength: 128,
      autoSignIn: true,
    },
    user: {
      additionalFields: {
        // Never settable from a sign-up form: only a setup link (/setup) and `npm run user:role` change it.
        role: { type: 'string', required: false, defaultValue: 'student', input: false },
        locale: { type: 'string', required: false, input: true },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    // The client's address is the one the custom server stamped from the TCP peer and the
    // trusted proxies only (lib/auth/client-ip.server.ts); X-Forwarded-For sent by a client
    // would otherwise give it a fresh limit on every request.
    advanced: { ipAddress: { ipAddressHeaders: [clientAddressHeader] } },
    // better-auth's per-address limiter for every other auth route; sign-in and sign-up have
    // Quai's own limits per account and address (sign-in-limits.server.ts), which tell the true wait.
    // QUAI_AUTH_RATE_LIMIT=off only for end-to-end tests, where every sign-up comes from one address.
    rateLimit: {
      enabled: limitsOn,
      storage: 'database',
      window: 60,
      max: 100,
      customRules: { '/sign-in/email': false, '/sign-up/email': false },
    },
    trustedOrigins: [env.appUrl],
    // nextCookies last, as better-auth asks.
    plugins: [signInLimits(limitsOn), nextCookies()],
  })
}

export type Auth = Awaited<ReturnType<typeof createAuth>>

const globalForAuth = globalThis as unknown as { quaiAuth?: Promise<Auth> }

export function getAuth(): Promise<Auth> {
  globalForAuth.quaiAuth ??= createAuth()
  return globalForAuth.quaiAuth
}
