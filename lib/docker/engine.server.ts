import 'server-only'
import type Docker from 'dockerode'
import { apiOf, hostEngine, type DockerDaemon } from './client.server'
import { diagnoseDockerError, ImageMissingError } from './diagnose.server'
import { orNullOn404, statusCodeOf } from './errors.server'

// What lib/sandbox does on the host's Docker engine: its facts, and the containers, networks
// and volumes of the sandboxes' nodes, as plain functions over our own types. dockerode's
// shapes stop here. (Clients: client.server.ts; commands in a container: exec.server.ts.)

async function diagnosed<T>(call: () => Promise<T>, context: { image?: string } = {}): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw diagnoseDockerError(error, context)
  }
}

// ---------------------------------------------------------------- engine facts

export type EngineInfo = {
  serverVersion: string
  cgroupVersion: 1 | 2
  cgroupDriver: string
  runtimes: string[]
  /** e.g. ["seccomp", "apparmor", "rootless", "userns"] (names only). */
  securityOptions: string[]
  kernelVersion: string
  operatingSystem: string
  cpus: number
  memoryBytes: number
}

export async function engineInfo(docker: DockerDaemon = hostEngine()): Promise<EngineInfo> {
  const info = (await diagnosed(() => apiOf(docker).info())) as Record<string, unknown>
  const securityOptions = ((info.SecurityOptions as string[] | undefined) ?? []).map((o) => /name=([^,]+)/.exec(o)?.[1] ?? o)
  return {
    serverVersion: String(info.ServerVersion ?? ''),
    cgroupVersion: String(info.CgroupVersion ?? '1') === '2' ? 2 : 1,
    cgroupDriver: String(info.CgroupDriver ?? 'cgroupfs'),
    runtimes: Object.keys((info.Runtimes as Record<string, unknown> | undefined) ?? {}),
    securityOptions,
    kernelVersion: String(info.KernelVersion ?? ''),
    operatingSystem: String(info.OperatingSystem ?? ''),
    cpus: Number(info.NCPU ?? 0),
    memoryBytes: Number(info.MemTotal ?? 0),
  }
}

export async function imageExists(docker: DockerDaemon, ref: string): Promise<boolean> {
  return (await orNullOn404(() => apiOf(docker).getImage(ref).inspect(), diagnoseDockerError)) !== null
}

/** Throws ImageMissingError (with the command that builds it) when the image is absent. */
export async function requireImage(docker: DockerDaemon, ref: string): Promise<void> {
  if (!(await imageExists(docker, ref))) throw new ImageMissingError(ref)
}

// ---------------------------------------------------------------- containers

export type ContainerSummary = {
  id: string
  name: string
  running: boolean
  state: string
  labels: Record<string, string>
}

function labelFilter(labels: Record<string, string | true>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`))
}

export async function listContainersByLabel(docker: DockerDaemon, labels: Record<string, string | true>): Promise<ContainerSummary[]> {
  const list = await diagnosed(() => apiOf(docker).listContainers({ all: true, filters: { label: labelFilter(labels) } }))
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    running: c.State === 'running',
    state: c.State,
    labels: c.Labels ?? {},
  }))
}

export type ContainerState = {
  id: string
  name: string
  running: boolean
  status: string
  exitCode: number
  /** The kernel's OOM killer ended a process of the container (its memory limit was reached). */
  oomKilled: boolean
  /** Host pid of the container's init process (0 when not running). */
  pid: number
  labels: Record<string, string>
  /** IPv4 address per network name. */
  addresses: Record<string, string>
  error: string
}

export async function inspectContainer(docker: DockerDaemon, idOrName: string): Promise<ContainerState | null> {
  const info = await orNullOn404(() => apiOf(docker).getContainer(idOrName).inspect(), diagnoseDockerError)
  if (!info) return null
  const addresses: Record<string, string> = {}
  for (const [net, settings] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    if (settings?.IPAddress) addresses[net] = settings.IPAddress
  }
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    running: Boolean(info.State?.Running),
    status: String(info.State?.Status ?? ''),
    exitCode: Number(info.State?.ExitCode ?? 0),
    oomKilled: Boolean(info.State?.OOMKilled),
    pid: Number(info.State?.Pid ?? 0),
    labels: info.Config?.Labels ?? {},
    addresses,
    error: String(info.State?.Error ?? ''),
  }
}

/** What Quai needs to say about a container it creates; translated to the Engine API here. */
export type ContainerSpec = {
  name: string
  image: string
  hostname?: string
  env?: string[]
  labels?: Record<string, string>
  network?: { name: string; ipv4?: string; aliases?: string[] }
  binds?: string[]
  extraHosts?: string[]
  capAdd?: string[]
  capDrop?: string[]
  securityOpt?: string[]
  privileged?: boolean
  /** No masked or read-only paths in /proc and /sys (the CLI's `--security-opt systempaths=unconfined`). */
  unmaskSystemPaths?: boolean
  runtime?: string
  cgroupnsMode?: 'private' | 'host'
  cgroupParent?: string
  memoryBytes?: number
  nanoCpus?: number
  pidsLimit?: number
  oomScoreAdj?: number
  sysctls?: Record<string, string>
  cmd?: string[]
  entrypoint?: string[]
  readOnlyRootfs?: boolean
  tmpfs?: Record<string, string>
  publish?: { containerPort: number; hostIp: string; hostPort?: number }[]
  logMaxSize?: string
}

export async function createContainer(docker: DockerDaemon, spec: ContainerSpec): Promise<string> {
  const exposed: Record<string, object> = {}
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const p of spec.publish ?? []) {
    exposed[`${p.containerPort}/tcp`] = {}
    portBindings[`${p.containerPort}/tcp`] = [{ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' }]
  }
  const container = await diagnosed(
    () =>
      apiOf(docker).createContainer({
        name: spec.name,
        Image: spec.image,
        Hostname: spec.hostname,
        Env: spec.env,
        Labels: spec.labels,
        Cmd: spec.cmd,
        Entrypoint: spec.entrypoint,
        ExposedPorts: spec.publish ? exposed : undefined,
        HostConfig: {
          NetworkMode: spec.network?.name,
          Binds: spec.binds,
          ExtraHosts: spec.extraHosts,
          CapAdd: spec.capAdd,
          CapDrop: spec.capDrop,
          SecurityOpt: spec.securityOpt,
          Privileged: spec.privileged,
          ...(spec.unmaskSystemPaths ? { MaskedPaths: [], ReadonlyPaths: [] } : {}),
          Runtime: spec.runtime,
          CgroupnsMode: spec.cgroupnsMode,
          CgroupParent: spec.cgroupParent,
          Memory: spec.memoryBytes,
          MemorySwap: spec.memoryBytes,
          NanoCpus: spec.nanoCpus,
          PidsLimit: spec.pidsLimit,
          OomScoreAdj: spec.oomScoreAdj,
          Sysctls: spec.sysctls,
          ReadonlyRootfs: spec.readOnlyRootfs,
          Tmpfs: spec.tmpfs,
          PortBindings: spec.publish ? portBindings : undefined,
          LogConfig: { Type: 'json-file', Config: { 'max-size': spec.logMaxSize ?? '1m', 'max-file': '1' } },
        },
        NetworkingConfig: spec.network
          ? {
              EndpointsConfig: {
                [spec.network.name]: {
                  IPAMConfig: spec.network.ipv4 ? { IPv4Address: spec.network.ipv4 } : undefined,
                  Aliases: spec.network.aliases,
                },
              },
            }
          : undefined,
      } as Docker.ContainerCreateOptions),
    { image: spec.image },
  )
  return container.id
}

/** Start a container; one already running is fine (Docker answers 304). */
export async function startContainer(docker: DockerDaemon, id: string): Promise<void> {
  try {
    await apiOf(docker).getContainer(id).start()
  } catch (error) {
    if (statusCodeOf(error) === 304) return
    throw diagnoseDockerError(error)
  }
}

/** The running containers of a daemon (a learner's inner daemon: what to start again after a stop). */
export async function listRunningContainers(docker: DockerDaemon): Promise<ContainerSummary[]> {
  const list = await diagnosed(() => apiOf(docker).listContainers({ all: false }))
  return list.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), running: true, state: c.State, labels: c.Labels ?? {} }))
}

/** Freeze or thaw every process of a container (the freezer cgroup); an already frozen or thawed one is fine. */
export async function setContainerPaused(docker: DockerDaemon, id: string, paused: boolean): Promise<void> {
  try {
    const container = apiOf(docker).getContainer(id)
    await (paused ? container.pause() : container.unpause())
  } catch (error) {
    if (statusCodeOf(error) === 409 || statusCodeOf(error) === 304) return
    throw diagnoseDockerError(error)
  }
}

/** Stop a container (its stop signal, then SIGKILL after `seconds`, by default its own stop timeout); a stopped or missing one is fine. */
export async function stopContainer(docker: DockerDaemon, id: string, seconds?: number): Promise<void> {
  try {
    await apiOf(docker).getContainer(id).stop(seconds === undefined ? {} : { t: seconds })
  } catch (error) {
    const status = statusCodeOf(error)
    if (status === 304 || status === 404) return
    throw diagnoseDockerError(error)
  }
}

/** Remove a container (force, with its anonymous volumes); a missing one is fine. */
export async function removeContainer(docker: DockerDaemon, id: string): Promise<void> {
  try {
    await apiOf(docker).getContainer(id).remove({ force: true, v: true })
  } catch (error) {
    const status = statusCodeOf(error)
    if (status === 404) return
    // "removal already in progress"
    if (status === 409) return
    throw diagnoseDockerError(error)
  }
}

// ---------------------------------------------------------------- networks

/** The subnet asked for overlaps one that exists: pick another. */
export class SubnetTakenError extends Error {
  override readonly name = 'SubnetTakenError'
}

export async function createBridgeNetwork(
  docker: DockerDaemon,
  spec: { name: string; subnet: string; gateway: string; bridgeName?: string; labels: Record<string, string>; internal?: boolean },
): Promise<string> {
  try {
    const network = await apiOf(docker).createNetwork({
      Name: spec.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: spec.internal ?? false,
      Labels: spec.labels,
      IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
      Options: spec.bridgeName ? { 'com.docker.network.bridge.name': spec.bridgeName } : {},
    })
    return network.id
  } catch (error) {
    const text = String((error as Error)?.message ?? error)
    if (/overlap|already in use|Pool overlaps/i.test(text)) throw new SubnetTakenError(text)
    throw diagnoseDockerError(error)
  }
}

export async function connectNetwork(docker: DockerDaemon, network: string, containerId: string, options: { ipv4?: string; aliases?: string[] } = {}): Promise<void> {
  await diagnosed(() =>
    apiOf(docker).getNetwork(network).connect({
      Container: containerId,
      EndpointConfig: { IPAMConfig: options.ipv4 ? { IPv4Address: options.ipv4 } : undefined, Aliases: options.aliases },
    }),
  )
}

export async function disconnectNetwork(docker: DockerDaemon, network: string, containerId: string): Promise<void> {
  try {
    await apiOf(docker).getNetwork(network).disconnect({ Container: containerId, Force: true })
  } catch (error) {
    const status = statusCodeOf(error)
    if (status === 404 || status === 403 || status === 500) return // gone, or not connected
    throw diagnoseDockerError(error)
  }
}

export type NetworkSummary = { id: string; name: string; labels: Record<string, string>; containers: string[]; subnets: string[] }

const subnetsOf = (n: { IPAM?: { Config?: { Subnet?: string }[] } }) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter(Boolean)

export async function listNetworksByLabel(docker: DockerDaemon, labels: Record<string, string | true>): Promise<NetworkSummary[]> {
  const list = await diagnosed(() => apiOf(docker).listNetworks({ filters: { label: labelFilter(labels) } }))
  return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {}, containers: Object.keys(n.Containers ?? {}), subnets: subnetsOf(n) }))
}

export async function inspectNetwork(docker: DockerDaemon, idOrName: string): Promise<NetworkSummary | null> {
  const n = await orNullOn404(() => apiOf(docker).getNetwork(idOrName).inspect(), diagnoseDockerError)
  if (!n) return null
  return { id: n.Id, name: n.Name, labels: n.Labels ?? {}, containers: Object.keys(n.Containers ?? {}), subnets: subnetsOf(n) }
}

/** Remove a network; a missing one is fine. */
export async function removeNetwork(docker: DockerDaemon, idOrName: string): Promise<void> {
  try {
    await apiOf(docker).getNetwork(idOrName).remove()
  } catch (error) {
    if (statusCodeOf(error) === 404) return
    throw diagnoseDockerError(error)
  }
}

// ---------------------------------------------------------------- volumes

export async function ensureVolume(docker: DockerDaemon, name: string, labels: Record<string, string> = {}): Promise<void> {
  await diagnosed(() => apiOf(docker).createVolume({ Name: name, Labels: labels }))
}
