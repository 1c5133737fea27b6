import 'server-only'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Public URL of the app, used for auth callbacks and origin checks. */
  QUAI_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** At least 32 characters; generated into data/auth-secret when absent (single-host installs). */
  BETTER_AUTH_SECRET: z.string().min(32).optional(),
  /** Allow sign-up from the web (default on). */
  QUAI_ALLOW_SIGNUP: z.enum(['true', 'false']).default('true'),
})

export type Env = z.infer<typeof envSchema> & { appUrl: string; authSecret: string }

function readOrCreateSecret(): string {
  const file = path.join(process.cwd(), 'data', 'auth-secret')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const secret = crypto.randomBytes(32).toString('base64url')
    // `wx` fails if another process wrote it first; then read theirs.
    try {
      fs.writeFileSync(file, secret, { flag: 'wx', mode: 0o600 })
      return secret
    } catch {
      return fs.readFileSync(file, 'utf8').trim()
    }
  }
}

let cached: Env | undefined

/** The validated environment; a bad variable stops the server with its name. */
export function getEnv(): Env {
  if (cached) return cached
  const parsed = envSchema.safeParse(process.env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')
    throw new Error(`Invalid environment:\n${problems}`)
  }
  const env = parsed.data
  cached = {
    ...env,
    appUrl: env.QUAI_URL ?? `http://localhost:${env.PORT}`,
    authSecret: env.BETTER_AUTH_SECRET ?? readOrCreateSecret(),
  }
  return cached
}
