import 'server-only'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import proxyAddr from 'proxy-addr'
import { z } from 'zod'

const listenAddress = z
  .string()
  .trim()
  .refine((value) => parseListen(value) !== null, 'expected ip:port or [ipv6]:port (an IP address, not a name), e.g. 0.0.0.0:9464')

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
  /** `file:<path>` for the embedded SQLite database (the default), or a PostgreSQL URL (docs/database.md). */
  DATABASE_URL: z
    .string()
    .trim()
    .superRefine((value, context) => {
      if (/^(file:|postgres(ql)?:\/\/)/.test(value)) return
      context.addIssue({ code: 'custom', message: `expected "file:" (embedded SQLite) or "postgresql://" (PostgreSQL), got "${value.split(':')[0]}:…"` })
    })
    .default('file:./data/quai.db'),
  /** The host's Docker engine, as `unix:///path/to/docker.sock`; default: /var/run/docker.sock. */
  DOCKER_HOST: z
    .string()
    .trim()
    .startsWith('unix://', 'Quai reaches the host engine through its unix socket: expected unix:///path/to/docker.sock')
    .optional(),
  /**
   * The unix socket of the quai-agent that runs this server's sandboxes (docs/architecture.md).
   * Unset: this process runs them itself on the host's engine (one process, as root).
   */
  QUAI_AGENT_SOCKET: z.string().startsWith('/').optional(),
  /** The file holding the key quai-web and its agents sign with (at least 32 characters). */
  QUAI_AGENT_KEY_FILE: z.string().startsWith('/').optional(),
  /** quai-agent only: its name in heartbeats and logs (default: the host name). */
  QUAI_AGENT_NAME: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/).optional(),
  /** quai-agent only: the group that may use its socket (the web process's); default: root's only. */
  QUAI_AGENT_SOCKET_GROUP: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).optional(),
  /**
   * quai-agent only: listen on TCP too, `10.0.0.5:7070` (an IP address). Refused on a wildcard or
   * public address unless QUAI_AGENT_LISTEN_PUBLIC=1 (then a firewall must guard it).
   */
  QUAI_AGENT_LISTEN: z.string().optional(),
  QUAI_AGENT_LISTEN_PUBLIC: z.enum(['0', '1']).default('0'),
  /**
   * Where Prometheus scrapes GET /metrics: `ip:port` (e.g. 0.0.0.0:9464), a listener of its own,
   * never the public port. QUAI_METRICS_ADDRESS for quai-web, QUAI_AGENT_METRICS_ADDRESS for
   * quai-agent. Unset: no metrics listener.
   */
  QUAI_METRICS_ADDRESS: listenAddress.optional(),
  QUAI_AGENT_METRICS_ADDRESS: listenAddress.optional(),
  /** quai-web with registered agents: an agent silent this long is lost and its sandboxes end. */
  QUAI_AGENT_LOST_SECONDS: z.coerce.number().int().min(5).max(86_400).default(90),
  /**
   * quai-web told to stop (SIGTERM): how long it keeps answering the requests it holds before it
   * exits. Below the orchestrator's stop grace period (deploy/stack.yaml: 30 s).
   */
  QUAI_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(20),
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

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(v), 'expected true or false')
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v))

export const isolationModes = ['auto', 'userns', 'caps', 'sysbox', 'privileged'] as const
export type IsolationSetting = (typeof isolationModes)[number]
/** What a sandbox actually runs with, once "auto" (and a refused --privileged) are resolved. */
export type IsolationMode = Exclude<IsolationSetting, 'auto'>

export const diskModes = ['auto', 'loop', 'dir'] as const
/** The filesystem of a loop disk: btrfs gives steps (copy-on-write snapshots), ext4 does not. */
export const diskFormats = ['auto', 'btrfs', 'ext4'] as const

/**
 * The host pieces that keep a sandbox in bounds. When one cannot be set up, Quai refuses to
 * create sandboxes unless QUAI_SANDBOX_UNSAFE_ALLOW_MISSING names it (development only):
 *  - firewall: the IPv4/IPv6 rules keeping sandboxes off the host and its networks,
 *  - disk: the size-bounded loop disk (without it, a sandbox can fill the host's disk),
 *  - cgroup: the per-sandbox parent cgroup (without it, the nodes of a sandbox are only
 *    capped one by one, not together).
 */
export const hostPieces = ['firewall', 'disk', 'cgroup'] as const
export type HostPiece = (typeof hostPieces)[number]

const hostPieceList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
  .refine((list) => list.every((p) => (hostPieces as readonly string[]).includes(p)), `expected a comma-separated list of ${hostPieces.join(', ')}`)
  .transform((list) => [...new Set(list)] as HostPiece[])

const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(8|9|1\d|2[0-4])$/, 'expected an IPv4 CIDR block no smaller than /24, like 10.213.0.0/16')

/**
 * The sandbox settings (lib/sandbox/config.server.ts turns them into SandboxConfig). Every variable
 * has a default that suits a small class on one machine; docs/sandbox.md lists them with their
 * trade-offs.
 */
export const sandboxEnvSchema = z.object({
  /** Separates deployments (and test runs) sharing one Docker engine: labels, reconcile scope. */
  QUAI_SANDBOX_NAMESPACE: z.string().regex(/^[a-z0-9][a-z0-9-]{0,29}$/).default('quai'),
  QUAI_SANDBOX_IDLE_MINUTES: int(1, 24 * 60).default(30),
  QUAI_SANDBOX_MAX_MINUTES: int(5, 7 * 24 * 60).default(240),
  QUAI_SANDBOX_MAX_CONCURRENT: int(1, 10_000).default(20),
  QUAI_SANDBOX_CREATES_PER_HOUR: int(1, 10_000).default(10),
  QUAI_SANDBOX_MEMORY_MB: int(256, 1_048_576).default(1536),
  QUAI_SANDBOX_CPUS: z.coerce.number().min(0.1).max(256).default(1),
  /** CPU weight of all sandboxes together against one process of the host (100), cgroup v2 units. */
  QUAI_SANDBOX_PARENT_CPU_WEIGHT: int(1, 10_000).default(25),
  QUAI_SANDBOX_PIDS: int(64, 4_194_304).default(1024),
  QUAI_SANDBOX_DISK_MB: int(512, 1_048_576).default(4096),
  /** Free space kept on the filesystem of the state folder beyond what sandbox disks may grow into. */
  QUAI_SANDBOX_DISK_RESERVE_MB: int(0, 1_048_576).default(2048),
  /** A sandbox disk's bandwidth (MiB/s) and operations per second; 0: no limit. */
  QUAI_SANDBOX_DISK_READ_MBPS: int(0, 100_000).default(200),
  QUAI_SANDBOX_DISK_WRITE_MBPS: int(0, 100_000).default(100),
  QUAI_SANDBOX_DISK_READ_IOPS: int(0, 10_000_000).default(4000),
  QUAI_SANDBOX_DISK_WRITE_IOPS: int(0, 10_000_000).default(2000),
  QUAI_SANDBOX_POOL_SIZE: int(0, 1000).default(0),
  QUAI_SANDBOX_ISOLATION: z.enum(isolationModes).default('auto'),
  QUAI_SANDBOX_DISK: z.enum(diskModes).default('auto'),
  QUAI_SANDBOX_DISK_FS: z.enum(diskFormats).default('auto'),
  /** Where kept disks wait for their learner (same filesystem as the state folder). Default: <state folder>.kept */
  QUAI_SANDBOX_KEPT_DIR: z.string().startsWith('/').optional(),
  /** Days a stopped sandbox's disk is kept after its last use; 0: sandboxes are never kept (docs/persistence.md). */
  QUAI_SANDBOX_KEEP_DAYS: int(0, 3650).default(14),
  /** Kept disks of one learner, all lessons together; past it the least recently used go. */
  QUAI_SANDBOX_KEEP_USER_MB: int(64, 16_777_216).default(20_480),
  /** Kept disks on one host; default: half of the state folder's filesystem. */
  QUAI_SANDBOX_KEEP_HOST_MB: int(64, 1_073_741_824).optional(),
  /** The learner is warned this many days before a kept disk is removed. */
  QUAI_SANDBOX_KEEP_WARN_DAYS: int(0, 365).default(2),
  QUAI_SANDBOX_IMAGE: z.string().min(1).default('quai/sandbox:latest'),
  /** Default: /var/lib/<namespace>/sandboxes */
  QUAI_SANDBOX_STATE_DIR: z.string().startsWith('/').optional(),
  /** Default: /run/<namespace>/sandboxes */
  QUAI_SANDBOX_RUN_DIR: z.string().startsWith('/').optional(),
  /** Default: the namespace */
  QUAI_SANDBOX_CGROUP_PARENT: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/).optional(),
  QUAI_SANDBOX_SUBNET_POOL: cidr.default('10.213.0.0/16'),
  QUAI_SANDBOX_UID_BASE: int(1, 4_294_901_760).default(100_000),
  QUAI_SANDBOX_BLOCK_HOST: bool.default(true),
  QUAI_SANDBOX_EGRESS: z.enum(['internet', 'none', 'all']).default('internet'),
  /** Development only: host pieces that may be missing (sandboxes start anyway, with a warning). */
  QUAI_SANDBOX_UNSAFE_ALLOW_MISSING: hostPieceList.default([]),
  /** Upstream DNS for the inner daemons (comma-separated); default: the host's non-loopback resolvers. */
  QUAI_SANDBOX_DNS: z
    .string()
    .regex(/^(\s*(\d{1,3}\.){3}\d{1,3}\s*)(,\s*(\d{1,3}\.){3}\d{1,3}\s*)*$|^$/, 'expected comma-separated IPv4 addresses')
    .optional(),
  QUAI_SANDBOX_TOUCH_SECONDS: int(1, 3600).default(30),
  QUAI_SANDBOX_START_TIMEOUT_SECONDS: int(5, 600).default(60),
  /** Sandboxes whose containers are made at once; the others wait in the start queue (docs/sandbox.md). */
  QUAI_SANDBOX_START_CONCURRENCY: int(1, 64).default(2),
  /** A learner waiting longer than this in the start queue is told to try again. */
  QUAI_SANDBOX_QUEUE_MAX_WAIT_SECONDS: int(30, 3600).default(600),
  /** How long before a scheduled class session its sandboxes are warmed, and how long it lasts. */
  QUAI_CLASS_SESSION_LEAD_MINUTES: int(0, 24 * 60).default(5),
  QUAI_CLASS_SESSION_WINDOW_MINUTES: int(10, 24 * 60).default(120),
  QUAI_POOL_USER_ID: z.string().min(1).default('quai-pool'),
  QUAI_REGISTRY_IMAGE: z.string().min(1).default('quai/registry:latest'),
  QUAI_REGISTRY_CONTAINER: z.string().min(1).default('quai-registry'),
  QUAI_REGISTRY_VOLUME: z.string().min(1).default('quai-registry-data'),
  /** Extra registries the inner daemons may use over plain HTTP (comma-separated host:port). */
  QUAI_SANDBOX_INSECURE_REGISTRIES: z.string().default(''),
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
  const listen = env.QUAI_AGENT_LISTEN ? listenProblem(env.QUAI_AGENT_LISTEN, env.QUAI_AGENT_LISTEN_PUBLIC === '1') : null
  if (listen) throw new Error(`Invalid environment:\n  QUAI_AGENT_LISTEN: ${listen}`)
  if (env.QUAI_AGENT_SOCKET && !env.QUAI_AGENT_KEY_FILE) throw new Error('Invalid environment:\n  QUAI_AGENT_KEY_FILE: required with QUAI_AGENT_SOCKET (the key both sides sign with)')
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
export function envNow<K extends 'DATABASE_URL' | 'DOCKER_HOST' | 'QUAI_CONTENT_DIR' | 'QUAI_SANDBOX_RUNTIME' | 'QUAI_SANDBOX_TRACE'>(name: K): z.infer<EnvSchema[K]> {
  const parsed = envSchema.shape[name].safeParse(process.env[name] === '' ? undefined : process.env[name])
  if (!parsed.success) throw new Error(`Invalid environment:\n  ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  return parsed.data as z.infer<EnvSchema[K]>
}

/** Tests change the environment between cases. */
export function resetEnvForTests(): void {
  cached = undefined
}

// ---------------------------------------------------------------- quai-agent's TCP address
// It must be private (loopback, RFC 1918, CGNAT, IPv6 unique-local or link-local) unless the
// operator says otherwise. A wildcard bind counts as public: it includes them all.

/** `host:port` or `[v6]:port`, with an IP address (a name could resolve anywhere). */
export function parseListen(value: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value.trim())
  if (!match) return null
  const host = match[1] ?? match[2] ?? ''
  const port = Number(match[3])
  if (!net.isIP(host) || port < 1 || port > 65535) return null
  return { host, port }
}

export function isPrivateAddress(host: string): boolean {
  if (net.isIPv4(host)) {
    const [a = 0, b = 0] = host.split('.').map(Number)
    if (a === 0) return false
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  }
  const v6 = host.toLowerCase()
  if (v6 === '::1') return true
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/.test(v6)) return isPrivateAddress(v6.slice('::ffff:'.length))
  return /^f[cd][0-9a-f]{0,2}:/.test(v6) || /^fe[89ab][0-9a-f]?:/.test(v6)
}

/** Why a listen address is refused, or null when it may be used. */
export function listenProblem(value: string, allowPublic: boolean): string | null {
  const listen = parseListen(value)
  if (!listen) return 'expected ip:port or [ipv6]:port (an IP address, not a name)'
  if (!allowPublic && !isPrivateAddress(listen.host)) {
    return `${listen.host} is not a private address (a wildcard includes the public ones): bind a private one, or set QUAI_AGENT_LISTEN_PUBLIC=1 if a firewall guards it`
  }
  return null
}
