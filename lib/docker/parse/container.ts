import { z } from 'zod'
import { bool, envToRecord, normalizeCapability, num, parsePortKey, str, strList, strMap } from './fields'

// A container as the exercise checks see it: `GET /containers/{id}/json` parsed into plain
// facts (pure: no I/O, tested without Docker).

export interface PortFact {
  container: number
  protocol: string
  /** The published host port, when there is one (0 when not yet assigned). */
  host: number | null
  hostIp: string
}

export interface MountFact {
  type: string
  /** Volume name for volumes. */
  name: string
  source: string
  target: string
  readOnly: boolean
}

export interface ContainerNetworkFact {
  name: string
  id: string
  ipv4: string
  aliases: string[]
}

export interface ContainerFacts {
  id: string
  name: string
  /** The image as the learner named it (Config.Image). */
  image: string
  imageId: string
  created: string
  status: string
  running: boolean
  exitCode: number
  startedAt: string
  /** null when the container has no health check. */
  health: 'healthy' | 'unhealthy' | 'starting' | null
  hasHealthcheck: boolean
  env: Record<string, string>
  labels: Record<string, string>
  user: string
  ports: PortFact[]
  restartPolicy: string
  memoryBytes: number
  memoryReservationBytes: number
  cpus: number
  pidsLimit: number | null
  capAdd: string[]
  capDrop: string[]
  readOnlyRootfs: boolean
  noNewPrivileges: boolean
  tmpfs: string[]
  networks: ContainerNetworkFact[]
  mounts: MountFact[]
  logDriver: string
  logOptions: Record<string, string>
  compose: { project: string; service: string; dependsOn: string; configFiles: string; workingDir: string } | null
}

const portBindings = z
  .record(z.string(), z.array(z.object({ HostIp: str, HostPort: str })).nullish())
  .nullish()
  .transform((v) => v ?? {})

const rawContainer = z.object({
  Id: z.string(),
  Name: str,
  Created: str,
  Image: str,
  State: z
    .object({
      Status: str,
      Running: bool,
      ExitCode: num,
      StartedAt: str,
      Health: z.object({ Status: str }).nullish(),
    })
    .nullish()
    .transform((v) => v ?? { Status: '', Running: false, ExitCode: 0, StartedAt: '', Health: null }),
  Config: z
    .object({
      Image: str,
      User: str,
      Env: strList,
      Labels: strMap,
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Healthcheck: z.object({ Test: strList }).nullish(),
    })
    .nullish()
    .transform((v) => v ?? { Image: '', User: '', Env: [], Labels: {}, ExposedPorts: null, Healthcheck: null }),
  HostConfig: z
    .object({
      PortBindings: portBindings,
      RestartPolicy: z.object({ Name: str }).nullish(),
      Memory: num,
      MemoryReservation: num,
      NanoCpus: num,
      CpuQuota: num,
      CpuPeriod: num,
      PidsLimit: z.number().nullish(),
      CapAdd: strList,
      CapDrop: strList,
      ReadonlyRootfs: bool,
      SecurityOpt: strList,
      Tmpfs: strMap,
      LogConfig: z.object({ Type: str, Config: strMap }).nullish(),
    })
    .nullish()
    .transform(
      (v) =>
        v ?? {
          PortBindings: {},
          RestartPolicy: null,
          Memory: 0,
          MemoryReservation: 0,
          NanoCpus: 0,
          CpuQuota: 0,
          CpuPeriod: 0,
          PidsLimit: null,
          CapAdd: [],
          CapDrop: [],
          ReadonlyRootfs: false,
          SecurityOpt: [],
          Tmpfs: {},
          LogConfig: null,
        },
    ),
  NetworkSettings: z
    .object({
      Ports: portBindings,
      Networks: z
        .record(z.string(), z.object({ NetworkID: str, IPAddress: str, Aliases: strList }).nullish())
        .nullish()
        .transform((v) => v ?? {}),
    })
    .nullish()
    .transform((v) => v ?? { Ports: {}, Networks: {} }),
  Mounts: z
    .array(z.object({ Type: str, Name: str, Source: str, Destination: str, RW: z.boolean().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
})

/** Facts from `GET /containers/{id}/json`. */
export function containerFactsFromInspect(raw: unknown): ContainerFacts {
  const c = rawContainer.parse(raw)
  const labels = c.Config.Labels
  const healthTest = c.Config.Healthcheck?.Test ?? []
  const hasHealthcheck = healthTest.length > 0 && healthTest[0] !== 'NONE'
  const healthStatus = c.State.Health?.Status
  const health = healthStatus === 'healthy' || healthStatus === 'unhealthy' || healthStatus === 'starting' ? healthStatus : null

  // Published ports: the live bindings when running (they carry ports the daemon picked),
  // otherwise the configured ones, so that a stopped container still answers.
  const ports: PortFact[] = []
  const seen = new Set<string>()
  const addBindings = (bindings: Record<string, { HostIp: string; HostPort: string }[] | null | undefined>) => {
    for (const [key, list] of Object.entries(bindings)) {
      const { port, protocol } = parsePortKey(key)
      for (const b of list ?? []) {
        const host = b.HostPort ? Number(b.HostPort) : 0
        const id = `${port}/${protocol}:${host}`
        if (seen.has(id) || (host === 0 && [...seen].some((s) => s.startsWith(`${port}/${protocol}:`)))) continue
        seen.add(id)
        ports.push({ container: port, protocol, host, hostIp: b.HostIp })
      }
    }
  }
  if (c.State.Running) addBindings(c.NetworkSettings.Ports)
  addBindings(c.HostConfig.PortBindings)
  for (const key of Object.keys(c.Config.ExposedPorts ?? {})) {
    const { port, protocol } = parsePortKey(key)
    if (!ports.some((p) => p.container === port && p.protocol === protocol)) ports.push({ container: port, protocol, host: null, hostIp: '' })
  }

  const cpus = c.HostConfig.NanoCpus
    ? c.HostConfig.NanoCpus / 1e9
    : c.HostConfig.CpuQuota > 0 && c.HostConfig.CpuPeriod > 0
      ? c.HostConfig.CpuQuota / c.HostConfig.CpuPeriod
      : 0
  const pids = c.HostConfig.PidsLimit
  const tmpfs = new Set(Object.keys(c.HostConfig.Tmpfs))
  for (const m of c.Mounts) if (m.Type === 'tmpfs') tmpfs.add(m.Destination)

  const project = labels['com.docker.compose.project']
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    created: c.Created,
    status: c.State.Status,
    running: c.State.Running,
    exitCode: c.State.ExitCode,
    startedAt: c.State.StartedAt,
    health,
    hasHealthcheck,
    env: envToRecord(c.Config.Env),
    labels,
    user: c.Config.User,
    ports,
    restartPolicy: c.HostConfig.RestartPolicy?.Name || 'no',
    memoryBytes: c.HostConfig.Memory,
    memoryReservationBytes: c.HostConfig.MemoryReservation,
    cpus,
    pidsLimit: pids && pids > 0 ? pids : null,
    capAdd: c.HostConfig.CapAdd.map(normalizeCapability),
    capDrop: c.HostConfig.CapDrop.map(normalizeCapability),
    readOnlyRootfs: c.HostConfig.ReadonlyRootfs,
    noNewPrivileges: c.HostConfig.SecurityOpt.some((o) => /^no-new-privileges(?::true|=true)?$/.test(o)),
    tmpfs: [...tmpfs],
    networks: Object.entries(c.NetworkSettings.Networks).map(([name, n]) => ({
      name,
      id: n?.NetworkID ?? '',
      ipv4: n?.IPAddress ?? '',
      aliases: n?.Aliases ?? [],
    })),
    mounts: c.Mounts.map((m) => ({ type: m.Type, name: m.Name, source: m.Source, target: m.Destination, readOnly: m.RW === false })),
    logDriver: c.HostConfig.LogConfig?.Type ?? '',
    logOptions: c.HostConfig.LogConfig?.Config ?? {},
    compose: project
      ? {
          project,
          service: labels['com.docker.compose.service'] ?? '',
          dependsOn: labels['com.docker.compose.depends_on'] ?? '',
          configFiles: labels['com.docker.compose.project.config_files'] ?? '',
          workingDir: labels['com.docker.compose.project.working_dir'] ?? '',
        }
      : null,
  }
}
