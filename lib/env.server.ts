import 'server-only'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import proxyAddr from 'proxy-addr'
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
  /** `off` only for end-to-end tests, where every sign-up comes from one address. */
  QUAI_AUTH_RATE_LIMIT: z.enum(['on', 'off']).default('on'),
  /** The content folder (courses/...); default: content/ in the working directory. */
  QUAI_CONTENT_DIR: z.string().min(1).optional(),
  /**
   * `off` skips reconcile, reaping and pool filling (lib/server/hooks.server.ts): for test
   * servers that share a Docker engine with another Quai.
   */
  QUAI_SANDBOX_RUNTIME: z.enum(['on', 'off']).default('on'),
  /** `1` logs how long each step of a sandbox start takes. */
  QUAI_SANDBOX_TRACE: z.enum(['0', '1']).default('0'),
  /**
   * Where learners' web apps are served: each published port gets the host name
   * p<port>-<token>.<this URL's host>. Default: <QUAI_URL's scheme>://localhost:<PORT> when
   * QUAI_URL is on localhost (browsers resolve *.localhost to loopback); otherwise unset, and
   * opening a port says what to configure (docs/security.md).
   */
  QUAI_PORTS_URL: z
    .string()
    .url()
    .refine((value) => /^https?:$/.test(new URL(value).protocol) && new URL(value).pathname === '/', 'expected http(s)://host[:port] with no path')
    .optional(),
  /**
   * The reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR
   * blocks, or `loopback`, `linklocal`, `uniquelocal`). Default: none, so the client's address
   * is the TCP peer's and a forged header changes nothing.
   */
  QUAI_TRUSTED_PROXIES: z
    .string()
    .default('')
    .superRefine((value, context) => {
      for (const entry of splitList(value)) {
        try {
          proxyAddr.compile(entry)
        } catch {
          context.addIssue({ code: 'custom', message: `"${entry}" is not an IP address, a CIDR block, loopback, linklocal or uniquelocal` })
        }
      }
    }),
  /**
   * Per-user limits (lib/http/usage-limits.server.ts, docs/security.md). `_PER_MINUTE`: uses in a
   * fixed minute, counted in the database and shared by every server instance. `_IN_FLIGHT`: at
   * once, per server instance (an in-memory count).
   */
  QUAI_LIMIT_CHECKS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
  QUAI_LIMIT_CHECKS_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(2),
  QUAI_LIMIT_LIVE_CHECKS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  QUAI_LIMIT_LIVE_STREAMS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  QUAI_LIMIT_LIVE_STREAMS_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(6),
  QUAI_LIMIT_FILE_CALLS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
  QUAI_LIMIT_FILE_CALLS_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(4),
  QUAI_LIMIT_TERMINALS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  QUAI_LIMIT_TERMINALS_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(16),
  QUAI_LIMIT_PROXY_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(32),
})

export type Env = z.infer<typeof envSchema> & { appUrl: string; authSecret: string; portsUrl: string | null; trustedProxies: string[] }

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
  const appUrl = (env.QUAI_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '')
  cached = {
    ...env,
    appUrl,
    authSecret: env.BETTER_AUTH_SECRET ?? readOrCreateSecret(),
    portsUrl: (env.QUAI_PORTS_URL ?? defaultPortsUrl(appUrl))?.replace(/\/+$/, '') ?? null,
    trustedProxies: splitList(env.QUAI_TRUSTED_PROXIES),
  }
  return cached
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
}

/** *.localhost is loopback in browsers: a local install gets port origins with no DNS set-up. */
function defaultPortsUrl(appUrl: string): string | null {
  const url = new URL(appUrl)
  if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return null
  return `${url.protocol}//localhost${url.port ? `:${url.port}` : ''}`
}

type EnvSchema = typeof envSchema.shape

/**
 * One variable, validated by the same schema but read at each call: tests and scripts point
 * these at another folder or mode while the process runs, after getEnv() has cached the rest.
 */
export function envNow<K extends 'QUAI_CONTENT_DIR' | 'QUAI_SANDBOX_RUNTIME' | 'QUAI_SANDBOX_TRACE'>(name: K): z.infer<EnvSchema[K]> {
  const parsed = envSchema.shape[name].safeParse(process.env[name] === '' ? undefined : process.env[name])
  if (!parsed.success) throw new Error(`Invalid environment:\n  ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  return parsed.data as z.infer<EnvSchema[K]>
}

/** Tests change the environment between cases. */
export function resetEnvForTests(): void {
  cached = undefined
}
