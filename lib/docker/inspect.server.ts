import 'server-only'
import type Dockerode from 'dockerode'
import { PassThrough } from 'node:stream'
import { z } from 'zod'
import { DaemonAnswerTooLargeError, daemonPath, readDaemonJson } from './daemon-read.server'

export { DaemonAnswerTooLargeError, daemonAnswerMaxBytes } from './daemon-read.server'

// Read-only views of a Docker daemon for the exercise checks. Every Engine API answer is
// parsed by a small zod schema that names only the fields Quai reads, then turned into plain
// "facts" (ours, not dockerode's), so that the checks never depend on dockerode's shapes and
// a field that an older or newer daemon leaves out becomes a default instead of a crash.
// Nothing here creates, starts, stops or pulls anything; the one exec (`execInContainer`)
// runs the read-only probes of the dns, reach and http checks. The daemon is the learner's, so
// its answers are read with a cap (daemon-read.server.ts: DaemonAnswerTooLargeError past 4 MiB)
// and its event stream with a cap per line.

export type DockerClient = Dockerode

// ---------------------------------------------------------------- errors

/** The daemon's socket is gone or refuses connections (sandbox stopped, node removed). */
export class DockerDaemonUnavailableError extends Error {
  override readonly name = 'DockerDaemonUnavailableError'
  constructor(cause: unknown) {
    super(`the Docker daemon cannot be reached: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

/** The read was aborted because the check's time budget ran out. */
export class DockerReadAbortedError extends Error {
  override readonly name = 'DockerReadAbortedError'
}

const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ETIMEDOUT'])

function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown })?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** Turn transport failures into DockerDaemonUnavailableError; leave API answers (4xx/5xx) alone. */
export function classifyDockerError(error: unknown): unknown {
  if (error instanceof DockerDaemonUnavailableError || error instanceof DockerReadAbortedError || error instanceof DaemonAnswerTooLargeError) return error
  const e = error as { code?: unknown; name?: unknown; message?: unknown }
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return new DockerReadAbortedError('aborted')
  if (typeof e?.code === 'string' && unreachableCodes.has(e.code)) return new DockerDaemonUnavailableError(error)
  if (typeof e?.message === 'string' && /socket hang up|ECONNREFUSED|ENOENT|connect E/.test(e.message)) {
    return new DockerDaemonUnavailableError(error)
  }
  return error
}

/** A bounded GET of a JSON answer from the daemon (see daemon-read.server.ts). */
const getJson = (docker: DockerClient, path: string, what: string, signal?: AbortSignal, query?: Record<string, unknown>) =>
  readDaemonJson(docker, { path, what, signal, query })

/** A JSON answer that must be a list (anything else reads as empty). */
async function getList(docker: DockerClient, path: string, what: string, signal?: AbortSignal, query?: Record<string, unknown>): Promise<unknown[]> {
  const answer = await getJson(docker, path, what, signal, query)
  return Array.isArray(answer) ? answer : []
}

async function orNullOn404<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read()
  } catch (error) {
    if (statusCodeOf(error) === 404) return null
    throw classifyDockerError(error)
  }
}

async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw classifyDockerError(error)
  }
}

// ---------------------------------------------------------------- small helpers

const str = z.string().nullish().transform((v) => v ?? '')
const num = z.number().nullish().transform((v) => v ?? 0)
const bool = z.boolean().nullish().transform((v) => v ?? false)
const strMap = z
  .record(z.string(), z.string().nullish())
  .nullish()
  .transform((m): Record<string, string> => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v ?? ''])))
const strList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? [])

/** "KEY=value" lines to a record (the first "=" splits). */
export function envToRecord(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of lines) {
    const i = line.indexOf('=')
    if (i === -1) out[line] = ''
    else out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

/** CAP_NET_ADMIN, net_admin and NET_ADMIN are the same capability. */
export function normalizeCapability(cap: string): string {
  const upper = cap.trim().toUpperCase()
  return upper.startsWith('CAP_') ? upper.slice(4) : upper
}

function parsePortKey(key: string): { port: number; protocol: string } {
  const [port, protocol] = key.split('/')
  return { port: Number(port), protocol: protocol ?? 'tcp' }
}

// ---------------------------------------------------------------- containers

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

/** One container by exact name (not an ID prefix: "db" must not match a container 'db41…'). */
export async function inspectContainer(docker: DockerClient, name: string, signal?: AbortSignal): Promise<ContainerFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/containers/${daemonPath(name)}/json`, `container ${name}`, signal))
  if (!raw) return null
  const facts = containerFactsFromInspect(raw)
  return facts.name === name || facts.id === name ? facts : null
}

const listedName = z.object({ Id: z.string(), Names: strList, Labels: strMap })

export interface ListedContainer {
  name: string
  labels: Record<string, string>
}

/** Containers (stopped ones included) matching every label filter ("key=value"), or all of them. */
export async function listContainers(docker: DockerClient, labels: string[] = [], signal?: AbortSignal): Promise<ListedContainer[]> {
  const filters = labels.length ? { label: labels } : undefined
  const list = await guarded(() => getList(docker, '/containers/json', 'the container list', signal, { all: true, ...(filters ? { filters } : {}) }))
  return list.map((raw) => {
    const c = listedName.parse(raw)
    return { name: (c.Names[0] ?? c.Id).replace(/^\//, ''), labels: c.Labels }
  })
}

// ---------------------------------------------------------------- networks

export interface NetworkFacts {
  id: string
  name: string
  driver: string
  scope: string
  internal: boolean
  attachable: boolean
  ingress: boolean
  subnets: { subnet: string; gateway: string }[]
  /** Endpoints the daemon reports: running containers only (see ContainerFacts.networks for stopped ones). */
  endpoints: { id: string; name: string; ipv4: string }[]
  labels: Record<string, string>
}

const rawNetwork = z.object({
  Id: z.string(),
  Name: str,
  Driver: str,
  Scope: str,
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  IPAM: z
    .object({ Config: z.array(z.object({ Subnet: str, Gateway: str })).nullish() })
    .nullish(),
  Containers: z
    .record(z.string(), z.object({ Name: str, IPv4Address: str }))
    .nullish()
    .transform((v) => v ?? {}),
  Labels: strMap,
})

export function networkFactsFromInspect(raw: unknown): NetworkFacts {
  const n = rawNetwork.parse(raw)
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    internal: n.Internal,
    attachable: n.Attachable,
    ingress: n.Ingress,
    subnets: (n.IPAM?.Config ?? []).map((c) => ({ subnet: c.Subnet, gateway: c.Gateway })),
    endpoints: Object.entries(n.Containers).map(([id, c]) => ({ id, name: c.Name, ipv4: c.IPv4Address.replace(/\/\d+$/, '') })),
    labels: n.Labels,
  }
}

/** (dockerode's network inspect takes no abort signal: the caller's budget still bounds it.) */
export async function inspectNetwork(docker: DockerClient, name: string): Promise<NetworkFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/networks/${daemonPath(name)}`, `network ${name}`))
  if (!raw) return null
  const facts = networkFactsFromInspect(raw)
  return facts.name === name || facts.id === name ? facts : null
}

/** Network id → name, for services (whose specs name networks by id). */
export async function listNetworks(docker: DockerClient, signal?: AbortSignal): Promise<NetworkFacts[]> {
  const list = await guarded(() => getList(docker, '/networks', 'the network list', signal))
  return list.map(networkFactsFromInspect)
}

// ---------------------------------------------------------------- volumes

export interface VolumeFacts {
  name: string
  driver: string
  mountpoint: string
  createdAt: string
  labels: Record<string, string>
}

const rawVolume = z.object({ Name: z.string(), Driver: str, Mountpoint: str, CreatedAt: str, Labels: strMap })

export function volumeFactsFromInspect(raw: unknown): VolumeFacts {
  const v = rawVolume.parse(raw)
  return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, createdAt: v.CreatedAt, labels: v.Labels }
}

async function volumeList(docker: DockerClient, signal?: AbortSignal): Promise<unknown[]> {
  const answer = (await getJson(docker, '/volumes', 'the volume list', signal)) as { Volumes?: unknown } | null
  return Array.isArray(answer?.Volumes) ? answer.Volumes : []
}

export async function inspectVolume(docker: DockerClient, name: string, signal?: AbortSignal): Promise<VolumeFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/volumes/${daemonPath(name)}`, `volume ${name}`, signal))
  return raw ? volumeFactsFromInspect(raw) : null
}

export async function listVolumes(docker: DockerClient, signal?: AbortSignal): Promise<VolumeFacts[]> {
  return (await guarded(() => volumeList(docker, signal))).map(volumeFactsFromInspect)
}

// ---------------------------------------------------------------- images

export interface ImageFacts {
  id: string
  tags: string[]
  user: string
  env: Record<string, string>
  labels: Record<string, string>
  workdir: string
  exposedPorts: { port: number; protocol: string }[]
  hasHealthcheck: boolean
  healthcheck: string[]
  sizeBytes: number
  created: string
}

const rawImage = z.object({
  Id: z.string(),
  RepoTags: strList,
  Created: str,
  Size: num,
  Config: z
    .object({
      User: str,
      Env: strList,
      Labels: strMap,
      WorkingDir: str,
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Healthcheck: z.object({ Test: strList }).nullish(),
    })
    .nullish()
    .transform((v) => v ?? { User: '', Env: [], Labels: {}, WorkingDir: '', ExposedPorts: null, Healthcheck: null }),
})

export function imageFactsFromInspect(raw: unknown): ImageFacts {
  const i = rawImage.parse(raw)
  const test = i.Config.Healthcheck?.Test ?? []
  return {
    id: i.Id,
    tags: i.RepoTags,
    user: i.Config.User,
    env: envToRecord(i.Config.Env),
    labels: i.Config.Labels,
    workdir: i.Config.WorkingDir,
    exposedPorts: Object.keys(i.Config.ExposedPorts ?? {}).map((k) => {
      const { port, protocol } = parsePortKey(k)
      return { port, protocol }
    }),
    hasHealthcheck: test.length > 0 && test[0] !== 'NONE',
    healthcheck: test,
    sizeBytes: i.Size,
    created: i.Created,
  }
}

/** Every "repo:tag" on the daemon (to suggest near misses). */
export async function listImageTags(docker: DockerClient, signal?: AbortSignal): Promise<string[]> {
  const list = await guarded(() => getList(docker, '/images/json', 'the image list', signal))
  return list.flatMap((raw) => z.object({ RepoTags: strList }).parse(raw).RepoTags).filter((t) => t !== '<none>:<none>')
}

export async function inspectImage(docker: DockerClient, name: string, signal?: AbortSignal): Promise<ImageFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/images/${daemonPath(name)}/json`, `image ${name}`, signal))
  return raw ? imageFactsFromInspect(raw) : null
}

// ---------------------------------------------------------------- swarm

export interface SwarmNodeFacts {
  id: string
  hostname: string
  role: string
  availability: string
  state: string
  leader: boolean
  labels: Record<string, string>
}

export interface SwarmFacts {
  /** "inactive" | "pending" | "active" | "error" | "locked" */
  localNodeState: string
  nodeId: string
  isManager: boolean
  managers: number
  nodes: number
  /** The node list; null when this node is not a manager (workers cannot list nodes). */
  nodeList: SwarmNodeFacts[] | null
}

const rawInfoSwarm = z.object({
  Swarm: z
    .object({ LocalNodeState: str, NodeID: str, ControlAvailable: bool, Managers: num, Nodes: num })
    .nullish()
    .transform((v) => v ?? { LocalNodeState: 'inactive', NodeID: '', ControlAvailable: false, Managers: 0, Nodes: 0 }),
})

const rawNode = z.object({
  ID: z.string(),
  Description: z.object({ Hostname: str }).nullish(),
  Spec: z.object({ Role: str, Availability: str, Labels: strMap }).nullish(),
  Status: z.object({ State: str }).nullish(),
  ManagerStatus: z.object({ Leader: bool }).nullish(),
})

export function swarmNodeFacts(raw: unknown): SwarmNodeFacts {
  const n = rawNode.parse(raw)
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    role: n.Spec?.Role ?? '',
    availability: n.Spec?.Availability ?? '',
    state: n.Status?.State ?? '',
    leader: n.ManagerStatus?.Leader ?? false,
    labels: n.Spec?.Labels ?? {},
  }
}

export function swarmFactsFromInfo(info: unknown, nodes: unknown[] | null): SwarmFacts {
  const s = rawInfoSwarm.parse(info).Swarm
  return {
    localNodeState: s.LocalNodeState || 'inactive',
    nodeId: s.NodeID,
    isManager: s.ControlAvailable,
    managers: s.Managers,
    nodes: s.Nodes,
    nodeList: nodes ? nodes.map(swarmNodeFacts) : null,
  }
}

export async function readSwarm(docker: DockerClient, withNodes: boolean, signal?: AbortSignal): Promise<SwarmFacts> {
  const info = await guarded(() => getJson(docker, '/info', 'the daemon information', signal))
  const s = rawInfoSwarm.parse(info).Swarm
  const nodes: unknown[] | null =
    withNodes && s.LocalNodeState === 'active' && s.ControlAvailable ? await guarded(() => getList(docker, '/nodes', 'the swarm node list', signal)) : null
  return swarmFactsFromInfo(info, nodes)
}

// ---------------------------------------------------------------- services, secrets, configs

export interface ServiceFacts {
  id: string
  name: string
  image: string
  labels: Record<string, string>
  mode: 'replicated' | 'global'
  replicas: number | null
  env: Record<string, string>
  ports: { target: number; published: number | null; protocol: string }[]
  updateConfig: { parallelism: number | null; delaySeconds: number | null; failureAction: string | null; order: string | null } | null
  rollbackConfig: { parallelism: number | null; delaySeconds: number | null; failureAction: string | null; order: string | null } | null
  constraints: string[]
  preferences: string[]
  secrets: string[]
  configs: string[]
  /** Network ids from the spec; resolve names with listNetworks. */
  networkIds: string[]
  updateState: string | null
  /** Tasks in state "running" (filled from the task list). */
  runningTasks: number
}

const updateCfg = z
  .object({ Parallelism: z.number().nullish(), Delay: z.number().nullish(), FailureAction: z.string().nullish(), Order: z.string().nullish() })
  .nullish()
  .transform((u) =>
    u
      ? {
          parallelism: u.Parallelism ?? null,
          delaySeconds: u.Delay != null ? u.Delay / 1e9 : null,
          failureAction: u.FailureAction ?? null,
          order: u.Order ?? null,
        }
      : null,
  )

const rawService = z.object({
  ID: z.string(),
  Spec: z.object({
    Name: str,
    Labels: strMap,
    Mode: z
      .object({ Replicated: z.object({ Replicas: z.number().nullish() }).nullish(), Global: z.unknown().nullish() })
      .nullish(),
    TaskTemplate: z
      .object({
        ContainerSpec: z
          .object({
            Image: str,
            Env: strList,
            Secrets: z.array(z.object({ SecretName: str })).nullish(),
            Configs: z.array(z.object({ ConfigName: str })).nullish(),
          })
          .nullish(),
        Placement: z
          .object({
            Constraints: strList,
            Preferences: z.array(z.object({ Spread: z.object({ SpreadDescriptor: str }).nullish() })).nullish(),
          })
          .nullish(),
        Networks: z.array(z.object({ Target: str })).nullish(),
      })
      .nullish(),
    Networks: z.array(z.object({ Target: str })).nullish(),
    UpdateConfig: updateCfg,
    RollbackConfig: updateCfg,
    EndpointSpec: z
      .object({ Ports: z.array(z.object({ TargetPort: num, PublishedPort: z.number().nullish(), Protocol: str })).nullish() })
      .nullish(),
  }),
  Endpoint: z
    .object({ Ports: z.array(z.object({ TargetPort: num, PublishedPort: z.number().nullish(), Protocol: str })).nullish() })
    .nullish(),
  UpdateStatus: z.object({ State: str }).nullish(),
})

/** "nginx:1.27@sha256:…" → "nginx:1.27": Swarm pins digests the learner never typed. */
export function stripDigest(image: string): string {
  return image.replace(/@sha256:[0-9a-f]+$/, '')
}

export function serviceFactsFromInspect(raw: unknown, runningTasks = 0): ServiceFacts {
  const s = rawService.parse(raw)
  const spec = s.Spec
  const tpl = spec.TaskTemplate
  const ports = (s.Endpoint?.Ports ?? spec.EndpointSpec?.Ports ?? []).map((p) => ({
    target: p.TargetPort,
    published: p.PublishedPort ?? null,
    protocol: p.Protocol || 'tcp',
  }))
  return {
    id: s.ID,
    name: spec.Name,
    image: stripDigest(tpl?.ContainerSpec?.Image ?? ''),
    labels: spec.Labels,
    mode: spec.Mode?.Global != null ? 'global' : 'replicated',
    replicas: spec.Mode?.Global != null ? null : (spec.Mode?.Replicated?.Replicas ?? 1),
    env: envToRecord(tpl?.ContainerSpec?.Env ?? []),
    ports,
    updateConfig: spec.UpdateConfig,
    rollbackConfig: spec.RollbackConfig,
    constraints: tpl?.Placement?.Constraints ?? [],
    preferences: (tpl?.Placement?.Preferences ?? []).flatMap((p) => (p.Spread ? [`spread=${p.Spread.SpreadDescriptor}`] : [])),
    secrets: (tpl?.ContainerSpec?.Secrets ?? []).map((x) => x.SecretName),
    configs: (tpl?.ContainerSpec?.Configs ?? []).map((x) => x.ConfigName),
    networkIds: (tpl?.Networks ?? spec.Networks ?? []).map((n) => n.Target),
    updateState: s.UpdateStatus?.State || null,
    runningTasks,
  }
}

const rawTask = z.object({ ServiceID: str, DesiredState: str, Status: z.object({ State: str }).nullish() })

/** Services with their running task counts: two calls (services, tasks), whatever the number of services. */
export async function listServices(docker: DockerClient, signal?: AbortSignal): Promise<ServiceFacts[]> {
  const [services, tasks] = await Promise.all([
    guarded(() => getList(docker, '/services', 'the service list', signal)),
    guarded(() => getList(docker, '/tasks', 'the task list', signal)),
  ])
  const running = new Map<string, number>()
  for (const raw of tasks as unknown[]) {
    const t = rawTask.safeParse(raw)
    if (t.success && t.data.Status?.State === 'running') running.set(t.data.ServiceID, (running.get(t.data.ServiceID) ?? 0) + 1)
  }
  return (services as unknown[]).map((raw) => {
    const id = z.object({ ID: z.string() }).parse(raw).ID
    return serviceFactsFromInspect(raw, running.get(id) ?? 0)
  })
}

const specName = z.object({ Spec: z.object({ Name: z.string() }) })

export async function listSecretNames(docker: DockerClient, signal?: AbortSignal): Promise<string[]> {
  const list = await guarded(() => getList(docker, '/secrets', 'the secret list', signal))
  return list.map((s) => specName.parse(s).Spec.Name)
}

export async function listConfigNames(docker: DockerClient, signal?: AbortSignal): Promise<string[]> {
  const list = await guarded(() => getList(docker, '/configs', 'the config list', signal))
  return list.map((s) => specName.parse(s).Spec.Name)
}

/** "This node is not a swarm manager" and "not part of a swarm" come back as 503 from the daemon. */
export function isNotSwarmManagerError(error: unknown): boolean {
  const status = statusCodeOf(error)
  const message = String((error as Error)?.message ?? '')
  return status === 503 && /swarm/i.test(message)
}

// ---------------------------------------------------------------- snapshot (live diagram)

export interface SnapshotContainer {
  id: string
  name: string
  image: string
  state: string
  status: string
  networks: string[]
  volumes: string[]
  ports: { container: number; host: number | null; protocol: string }[]
  composeProject: string | null
  composeService: string | null
}

export interface SandboxSnapshot {
  containers: SnapshotContainer[]
  networks: { id: string; name: string; driver: string; internal: boolean; builtin: boolean }[]
  volumes: { name: string; driver: string }[]
}

const rawListedContainer = z.object({
  Id: z.string(),
  Names: strList,
  Image: str,
  State: str,
  Status: str,
  Labels: strMap,
  Ports: z.array(z.object({ PrivatePort: num, PublicPort: z.number().nullish(), Type: str })).nullish(),
  NetworkSettings: z
    .object({ Networks: z.record(z.string(), z.unknown()).nullish() })
    .nullish(),
  Mounts: z.array(z.object({ Type: str, Name: str })).nullish(),
})

const builtinNetworks = new Set(['bridge', 'host', 'none', 'ingress', 'docker_gwbridge'])

export function snapshotFromLists(containers: unknown[], networks: unknown[], volumes: unknown[]): SandboxSnapshot {
  return {
    containers: containers.map((raw) => {
      const c = rawListedContainer.parse(raw)
      const ports = new Map<string, { container: number; host: number | null; protocol: string }>()
      for (const p of c.Ports ?? []) {
        const key = `${p.PrivatePort}/${p.Type}:${p.PublicPort ?? ''}`
        ports.set(key, { container: p.PrivatePort, host: p.PublicPort ?? null, protocol: p.Type || 'tcp' })
      }
      return {
        id: c.Id,
        name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
        image: c.Image,
        state: c.State,
        status: c.Status,
        networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
        volumes: (c.Mounts ?? []).filter((m) => m.Type === 'volume').map((m) => m.Name),
        ports: [...ports.values()],
        composeProject: c.Labels['com.docker.compose.project'] ?? null,
        composeService: c.Labels['com.docker.compose.service'] ?? null,
      }
    }),
    networks: networks.map((raw) => {
      const n = networkFactsFromInspect(raw)
      return { id: n.id, name: n.name, driver: n.driver, internal: n.internal, builtin: builtinNetworks.has(n.name) }
    }),
    volumes: volumes.map((raw) => {
      const v = volumeFactsFromInspect(raw)
      return { name: v.name, driver: v.driver }
    }),
  }
}

/** Containers, networks and volumes in three calls, for the live diagram. */
export async function readSnapshot(docker: DockerClient, signal?: AbortSignal): Promise<SandboxSnapshot> {
  const [containers, networks, volumes] = await Promise.all([
    guarded(() => getList(docker, '/containers/json', 'the container list', signal, { all: true })),
    guarded(() => getList(docker, '/networks', 'the network list', signal)),
    guarded(() => volumeList(docker, signal)),
  ])
  return snapshotFromLists(containers, networks, volumes)
}

// ---------------------------------------------------------------- events

export interface DaemonEvent {
  type: string
  action: string
  actorId: string
  actorName: string
}

const rawEvent = z.object({
  Type: str,
  Action: str,
  Actor: z.object({ ID: str, Attributes: strMap }).nullish(),
})

/** Longest event line kept; a container's events carry all its labels, which the learner sizes. */
export const maxEventLineBytes = 256 * 1024

/**
 * Splits a byte stream into lines (without the newline), holding at most maxLineBytes of one
 * line: a longer one is dropped as it arrives (onOversized, once per line) and reading goes on
 * at the next newline, so a stream with no newline at all costs no more than the cap.
 */
export class LineSplitter {
  private parts: Buffer[] = []
  private size = 0
  private skipping = false

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversized: () => void,
  ) {}

  /** Bytes held for the line not yet ended. */
  get pendingBytes(): number {
    return this.size
  }

  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      const newline = chunk.indexOf(0x0a, at)
      const end = newline === -1 ? chunk.length : newline
      if (!this.skipping) {
        if (this.size + (end - at) > this.maxLineBytes) {
          this.parts = []
          this.size = 0
          this.skipping = true
          this.onOversized()
        } else if (end > at) {
          this.parts.push(chunk.subarray(at, end))
          this.size += end - at
        }
      }
      if (newline === -1) return
      if (!this.skipping) {
        const line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)
        this.parts = []
        this.size = 0
        this.onLine(line)
      }
      this.skipping = false
      at = newline + 1
    }
  }
}

/**
 * Follow the daemon's event stream. `onEvent` gets each event; `onEnd` is called once, with
 * the error when the stream broke (daemon gone). Returns a function that stops following.
 * A line past maxEventLineBytes is dropped, and reported as an event of type "unknown", action
 * "oversized": something happened, so a watcher still re-reads the daemon.
 */
export async function followEvents(
  docker: DockerClient,
  handlers: { onEvent: (event: DaemonEvent) => void; onEnd: (error?: unknown) => void },
): Promise<() => void> {
  const controller = new AbortController()
  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.getEvents({ abortSignal: controller.signal } as Dockerode.GetEventsOptions)
  } catch (error) {
    throw classifyDockerError(error)
  }
  let ended = false
  const end = (error?: unknown) => {
    if (ended) return
    ended = true
    handlers.onEnd(error === undefined ? undefined : classifyDockerError(error))
  }
  const lines = new LineSplitter(
    maxEventLineBytes,
    (bytes) => {
      const line = bytes.toString('utf8').trim()
      if (!line) return
      try {
        const e = rawEvent.parse(JSON.parse(line))
        handlers.onEvent({ type: e.Type, action: e.Action, actorId: e.Actor?.ID ?? '', actorName: e.Actor?.Attributes.name ?? '' })
      } catch {
        // A line the daemon sends that we do not understand is not worth breaking the stream for.
      }
    },
    () => handlers.onEvent({ type: 'unknown', action: 'oversized', actorId: '', actorName: '' }),
  )
  stream.on('data', (chunk: Buffer | string) => lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk))
  stream.on('error', (error) => end(controller.signal.aborted ? undefined : error))
  stream.on('end', () => end(controller.signal.aborted ? undefined : new Error('event stream ended')))
  stream.on('close', () => end(controller.signal.aborted ? undefined : new Error('event stream closed')))
  return () => {
    if (ended) return
    ended = true
    controller.abort()
    ;(stream as unknown as { destroy?: () => void }).destroy?.()
  }
}

// ---------------------------------------------------------------- exec probes

export interface ExecOutput {
  exitCode: number
  stdout: string
  stderr: string
}

/** The container to probe from is missing or not running. */
export class ContainerNotRunningError extends Error {
  override readonly name = 'ContainerNotRunningError'
  constructor(readonly container: string, readonly missing: boolean) {
    super(missing ? `no container named ${container}` : `container ${container} is not running`)
  }
}

/**
 * Run a read-only probe inside a container of the daemon (dns lookup, TCP connect, HTTP GET).
 * Output is capped at `maxBytes` per stream. The command must bound its own run time (the
 * caller wraps it in `timeout`); `timeoutMs` is the last resort that stops waiting.
 */
export async function execInContainer(
  docker: DockerClient,
  container: string,
  cmd: string[],
  opts: { timeoutMs: number; maxBytes?: number; signal?: AbortSignal },
): Promise<ExecOutput> {
  const maxBytes = opts.maxBytes ?? 256 * 1024
  let exec: Dockerode.Exec
  try {
    exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false })
  } catch (error) {
    const status = statusCodeOf(error)
    if (status === 404) throw new ContainerNotRunningError(container, true)
    if (status === 409) throw new ContainerNotRunningError(container, false)
    throw classifyDockerError(error)
  }
  let stream: NodeJS.ReadWriteStream
  try {
    stream = await exec.start({ hijack: true, stdin: false })
  } catch (error) {
    if (statusCodeOf(error) === 409) throw new ContainerNotRunningError(container, false)
    throw classifyDockerError(error)
  }
  const out: Buffer[] = []
  const err: Buffer[] = []
  let outBytes = 0
  let errBytes = 0
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  stdout.on('data', (b: Buffer) => {
    if (outBytes < maxBytes) out.push(b.subarray(0, maxBytes - outBytes))
    outBytes += b.length
  })
  stderr.on('data', (b: Buffer) => {
    if (errBytes < maxBytes) err.push(b.subarray(0, maxBytes - errBytes))
    errBytes += b.length
  })
  docker.modem.demuxStream(stream, stdout, stderr)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ;(stream as unknown as { destroy?: () => void }).destroy?.()
      reject(new DockerReadAbortedError(`probe in ${container} took longer than ${opts.timeoutMs} ms`))
    }, opts.timeoutMs)
    const onAbort = () => {
      clearTimeout(timer)
      ;(stream as unknown as { destroy?: () => void }).destroy?.()
      reject(new DockerReadAbortedError('aborted'))
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const done = (error?: unknown) => {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (error) reject(classifyDockerError(error))
      else resolve()
    }
    stream.on('end', () => done())
    stream.on('close', () => done())
    stream.on('error', (e) => done(e))
  })
  const info = await guarded(() => exec.inspect())
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  }
}

// ---------------------------------------------------------------- clients

/** A client for a daemon reached through a unix socket (a sandbox node's, or the host's in tests). */
export async function dockerClientForSocket(socketPath: string): Promise<DockerClient> {
  const { default: Docker } = await import('dockerode')
  return new Docker({ socketPath })
}
