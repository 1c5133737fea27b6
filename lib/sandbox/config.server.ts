import 'server-only'
import { type diskFormats, type diskModes, sandboxEnvSchema, type HostPiece, type IsolationSetting } from '../env.server'

// Sandbox settings, from the environment (validated by sandboxEnvSchema), read once.

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
  diskFormat: (typeof diskFormats)[number]
  image: string
  stateDir: string
  /** Kept disks (docs/persistence.md): <keptDir>/<diskId>/ */
  keptDir: string
  /** 0: sandboxes are never kept. */
  keepDays: number
  keepUserMb: number
  /** null: half of the state folder's filesystem. */
  keepHostMb: number | null
  keepWarnDays: number
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
  for (const key of Object.keys(sandboxEnvSchema.shape)) {
    const value = env[key]
    if (value !== undefined && value.trim() !== '') input[key] = value.trim()
  }
  const parsed = sandboxEnvSchema.safeParse(input)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '?')
      return `${key}=${JSON.stringify(input[key] ?? '')}: ${issue.message}`
    })
    throw new SandboxConfigError(`invalid sandbox setting${lines.length > 1 ? 's' : ''}: ${lines.join('; ')}`)
  }
  const e = parsed.data
  const stateDir = (e.QUAI_SANDBOX_STATE_DIR ?? `/var/lib/${e.QUAI_SANDBOX_NAMESPACE}/sandboxes`).replace(/\/+$/, '')
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
    diskFormat: e.QUAI_SANDBOX_DISK_FS,
    stateDir,
    keptDir: (e.QUAI_SANDBOX_KEPT_DIR ?? `${stateDir}.kept`).replace(/\/+$/, ''),
    keepDays: e.QUAI_SANDBOX_KEEP_DAYS,
    keepUserMb: e.QUAI_SANDBOX_KEEP_USER_MB,
    keepHostMb: e.QUAI_SANDBOX_KEEP_HOST_MB ?? null,
    keepWarnDays: e.QUAI_SANDBOX_KEEP_WARN_DAYS,
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
