import 'server-only'
import { betterAuth } from 'better-auth'
import { prismaAdapter } from 'better-auth/adapters/prisma'
import { nextCookies } from 'better-auth/next-js'
import { getDb } from '../db/client.server'
import { databaseKind, resolveDatabaseUrl } from '../db/url'
import { getEnv } from '../env.server'

async function createAuth() {
  const db = await getDb()
  const env = getEnv()
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
        // Never settable from a sign-up form: only the first account and `npm run user:role` change it.
        role: { type: 'string', required: false, defaultValue: 'student', input: false },
        locale: { type: 'string', required: false, input: true },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    // QUAI_AUTH_RATE_LIMIT=off only for end-to-end tests, where every sign-up comes from one address.
    rateLimit: { enabled: process.env.QUAI_AUTH_RATE_LIMIT !== 'off', storage: 'database', window: 60, max: 100 },
    databaseHooks: {
      user: {
        create: {
          // The very first account of an installation is its instructor.
          before: async (user) => {
            const count = await db.user.count()
            return { data: { ...user, role: count === 0 ? 'instructor' : 'student' } }
          },
          // Sign-ups racing on an empty installation all counted 0. Each one, once stored, keeps
          // the earliest of those first accounts as instructor and demotes the rest; whatever the
          // interleaving, the last to look sees them all, so exactly one instructor remains.
          after: async (user) => {
            if ((user as { role?: string }).role !== 'instructor') return
            const window = 60_000
            const created = new Date(user.createdAt)
            const racers = await db.user.findMany({
              where: { role: 'instructor', createdAt: { gte: new Date(created.getTime() - window), lte: new Date(created.getTime() + window) } },
              orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
              select: { id: true },
            })
            const demoted = racers.slice(1).map((r) => r.id)
            if (demoted.length > 0) await db.user.updateMany({ where: { id: { in: demoted } }, data: { role: 'student' } })
          },
        },
      },
    },
    trustedOrigins: [env.appUrl],
    plugins: [nextCookies()],
  })
}

export type Auth = Awaited<ReturnType<typeof createAuth>>

const globalForAuth = globalThis as unknown as { quaiAuth?: Promise<Auth> }

export function getAuth(): Promise<Auth> {
  globalForAuth.quaiAuth ??= createAuth()
  return globalForAuth.quaiAuth
}
