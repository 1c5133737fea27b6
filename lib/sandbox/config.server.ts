import 'server-only'
import { z } from 'zod'

// Sandbox settings, from the environment, validated once. Every variable has a default that
// suits a small class on one machine; docs/sandbox.md lists them with their trade-offs.

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

const schema = z.object({
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

/** Same shape as host.server.ts's DiskIoLimits (this file stays free of host imports). */
export type DiskIoSettings = { readBps: number; writeBps: number; readIops: number; writeIops: number }

export type SandboxConfig = {
  namespace: string
  idleMinutes: number
  maxMinutes: number
  maxConcurrent: number
  createsPerHour: number
  memoryMb: number
  cpus: number
  /** QUAI_SANDBOX_PARENT_CPU_WEIGHT */
  sandboxesCpuWeight: number
  pids: number
  diskMb: number
  diskReserveMb: number
  /** Per sandbox disk; bytes per second and operations per second, 0 for no limit. */
  diskIo: DiskIoSettings
  poolSize: number
  isolation: IsolationSetting
  disk: (typeof diskModes)[number]
  image: string
  stateDir: string
  runDir: string
  cgroupParent: string
  subnetPool: string
  uidBase: number
  blockHost: boolean
  egress: 'internet' | 'none' | 'all'
  /** QUAI_SANDBOX_UNSAFE_ALLOW_MISSING: empty by default (fail closed). */
  allowMissing: HostPiece[]
  dns: string[] | null
  touchSeconds: number
  startTimeoutSeconds: number
  startConcurrency: number
  queueMaxWaitSeconds: number
  sessionLeadMinutes: number
  sessionWindowMinutes: number
  poolUserId: string
  registryImage: string
  registryContainer: string
  registryVolume: string
  insecureRegistries: string[]
}

export class SandboxConfigError extends Error {
  override readonly name = 'SandboxConfigError'
}

/** Parse the sandbox settings; a bad value throws, naming the variable and what is expected. */
export function parseSandboxConfig(env: Record<string, string | undefined> = process.env): SandboxConfig {
  const input: Record<string, string> = {}
  for (const key of Object.keys(schema.shape)) {
    const value = env[key]
    if (value !== undefined && value.trim() !== '') input[key] = value.trim()
  }
  const parsed = schema.safeParse(input)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '?')
      return `${key}=${JSON.stringify(input[key] ?? '')}: ${issue.message}`
    })
    throw new SandboxConfigError(`invalid sandbox setting${lines.length > 1 ? 's' : ''}: ${lines.join('; ')}`)
  }
  const e = parsed.data
  return {
    namespace: e.QUAI_SANDBOX_NAMESPACE,
    idleMinutes: e.QUAI_SANDBOX_IDLE_MINUTES,
    maxMinutes: e.QUAI_SANDBOX_MAX_MINUTES,
    maxConcurrent: e.QUAI_SANDBOX_MAX_CONCURRENT,
    createsPerHour: e.QUAI_SANDBOX_CREATES_PER_HOUR,
    memoryMb: e.QUAI_SANDBOX_MEMORY_MB,
    cpus: e.QUAI_SANDBOX_CPUS,
    sandboxesCpuWeight: e.QUAI_SANDBOX_PARENT_CPU_WEIGHT,
    pids: e.QUAI_SANDBOX_PIDS,
    diskMb: e.QUAI_SANDBOX_DISK_MB,
    diskReserveMb: e.QUAI_SANDBOX_DISK_RESERVE_MB,
    diskIo: {
      readBps: e.QUAI_SANDBOX_DISK_READ_MBPS * 1024 * 1024,
      writeBps: e.QUAI_SANDBOX_DISK_WRITE_MBPS * 1024 * 1024,
      readIops: e.QUAI_SANDBOX_DISK_READ_IOPS,
      writeIops: e.QUAI_SANDBOX_DISK_WRITE_IOPS,
    },
    poolSize: e.QUAI_SANDBOX_POOL_SIZE,
    isolation: e.QUAI_SANDBOX_ISOLATION,
    disk: e.QUAI_SANDBOX_DISK,
    image: e.QUAI_SANDBOX_IMAGE,
    stateDir: (e.QUAI_SANDBOX_STATE_DIR ?? `/var/lib/${e.QUAI_SANDBOX_NAMESPACE}/sandboxes`).replace(/\/+$/, ''),
    runDir: (e.QUAI_SANDBOX_RUN_DIR ?? `/run/${e.QUAI_SANDBOX_NAMESPACE}/sandboxes`).replace(/\/+$/, ''),
    cgroupParent: e.QUAI_SANDBOX_CGROUP_PARENT ?? e.QUAI_SANDBOX_NAMESPACE,
    subnetPool: e.QUAI_SANDBOX_SUBNET_POOL,
    uidBase: e.QUAI_SANDBOX_UID_BASE,
    blockHost: e.QUAI_SANDBOX_BLOCK_HOST,
    egress: e.QUAI_SANDBOX_EGRESS,
    allowMissing: e.QUAI_SANDBOX_UNSAFE_ALLOW_MISSING,
    dns: e.QUAI_SANDBOX_DNS === undefined ? null : e.QUAI_SANDBOX_DNS.split(',').map((s) => s.trim()).filter(Boolean),
    touchSeconds: e.QUAI_SANDBOX_TOUCH_SECONDS,
    startTimeoutSeconds: e.QUAI_SANDBOX_START_TIMEOUT_SECONDS,
    startConcurrency: e.QUAI_SANDBOX_START_CONCURRENCY,
    queueMaxWaitSeconds: e.QUAI_SANDBOX_QUEUE_MAX_WAIT_SECONDS,
    sessionLeadMinutes: e.QUAI_CLASS_SESSION_LEAD_MINUTES,
    sessionWindowMinutes: e.QUAI_CLASS_SESSION_WINDOW_MINUTES,
    poolUserId: e.QUAI_POOL_USER_ID,
    registryImage: e.QUAI_REGISTRY_IMAGE,
    registryContainer: e.QUAI_REGISTRY_CONTAINER,
    registryVolume: e.QUAI_REGISTRY_VOLUME,
    insecureRegistries: e.QUAI_SANDBOX_INSECURE_REGISTRIES.split(',').map((s) => s.trim()).filter(Boolean),
  }
}

let cached: SandboxConfig | undefined

/** The settings of this process (parsed on first use). */
export function sandboxConfig(): SandboxConfig {
  cached ??= parseSandboxConfig()
  return cached
}

/** Tests and benchmarks change settings between runs. */
export function setSandboxConfigForTests(overrides: Partial<SandboxConfig> | null): void {
  cached = overrides ? { ...parseSandboxConfig(), ...overrides } : undefined
}
