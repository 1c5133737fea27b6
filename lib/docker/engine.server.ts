import 'server-only'
import Docker from 'dockerode'
import type { Duplex } from 'node:stream'
import { PassThrough } from 'node:stream'
import { diagnoseDockerError, hostSocketPath, ImageMissingError } from './diagnose.server'

// The host's Docker engine and the sandboxes' inner daemons, as the rest of Quai sees them:
// plain functions over our own types. dockerode's shapes stop here.

/** A Docker Engine API client (host engine or a node's inner daemon). */
export type DockerClient = Docker

// ---------------------------------------------------------------- clients

let host: Docker | undefined

/** The host's engine (DOCKER_HOST=unix://... or /var/run/docker.sock). */
export function hostEngine(): Docker {
  host ??= new Docker({ socketPath: hostSocketPath() })
  return host
}

const inner = new Map<string, Docker>()

/** A node's inner daemon, through the unix socket the backend reaches it on (no TCP). */
export function innerDaemon(socketPath: string): Docker {
  let client = inner.get(socketPath)
  if (!client) {
    client = new Docker({ socketPath, timeout: 30_000 })
    inner.set(socketPath, client)
  }
  return client
}

/** Forget a cached inner client (its sandbox ended). */
export function forgetInnerDaemon(socketPath: string): void {
  inner.delete(socketPath)
}

const statusOf = (error: unknown) => (error as { statusCode?: unknown })?.statusCode

async function host404ToNull<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call()
  } catch (error) {
    if (statusOf(error) === 404) return null
    throw diagnoseDockerError(error)
  }
}

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

export async function engineInfo(docker: Docker = hostEngine()): Promise<EngineInfo> {
  const info = (await diagnosed(() => docker.info())) as Record<string, unknown>
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

/** Whether a daemon answers /_ping within the time given (false, never throws). */
export async function pingDaemon(docker: Docker, timeoutMs = 1000): Promise<boolean> {
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    await (docker.ping as (opts: object) => Promise<unknown>).call(docker, { abortSignal: signal })
    return true
  } catch {
    return false
  }
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return (await host404ToNull(() => docker.getImage(ref).inspect())) !== null
}

/** Throws ImageMissingError (with the command that builds it) when the image is absent. */
export async function requireImage(docker: Docker, ref: string): Promise<void> {
  if (!(await imageExists(docker, ref))) throw new ImageMissingError(ref)
}

// ---------------------------------------------------------------- exec

export type ExecOptions = {
  env?: string[]
  workingDir?: string
  user?: string
  /** Bytes written to the process's stdin, then closed. */
  stdin?: string | Buffer
  /** Stop waiting after this long (the stream is cut; the caller should also bound the process). */
  timeoutMs?: number
  /** Output kept per stream (default 1 MiB); the rest is counted but dropped. */
  maxOutputBytes?: number
}

export type ExecResult = {
  /** null when unknown (timed out, or the daemon went away). */
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  truncated: boolean
  durationMs: number
}

class Collector {
  private chunks: Buffer[] = []
  private size = 0
  truncated = false
  constructor(private readonly max: number) {}
  push(chunk: Buffer) {
    const room = this.max - this.size
    if (room <= 0) {
      this.truncated = true
      return
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk
    if (part.length < chunk.length) this.truncated = true
    this.chunks.push(part)
    this.size += part.length
  }
  text() {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

/** Run a command in a container (no TTY), collect its output and exit code. */
export async function execInContainer(docker: Docker, containerId: string, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now()
  const hasStdin = options.stdin !== undefined
  const exec = await diagnosed(() =>
    docker.getContainer(containerId).exec({
      Cmd: cmd,
      Env: options.env,
      WorkingDir: options.workingDir,
      User: options.user,
      AttachStdin: hasStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    }),
  )
  const stream = (await diagnosed(() => exec.start({ hijack: true, stdin: hasStdin }))) as unknown as Duplex
  const max = options.maxOutputBytes ?? 1024 * 1024
  const out = new Collector(max)
  const err = new Collector(max)
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  stdout.on('data', (c: Buffer) => out.push(c))
  stderr.on('data', (c: Buffer) => err.push(c))
  docker.modem.demuxStream(stream, stdout, stderr)

  let timedOut = false
  const done = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
      if (timer) clearTimeout(timer)
      resolve()
    }
    stream.once('end', finish)
    stream.once('close', finish)
    stream.once('error', finish)
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true
        stream.destroy()
        finish()
      }, options.timeoutMs)
    }
  })
  if (hasStdin) {
    stream.write(options.stdin)
    // Half-close: the process sees EOF on stdin, its output keeps coming.
    ;(stream as unknown as { end: () => void }).end()
  }
  await done

  let exitCode: number | null = null
  if (!timedOut) {
    for (let i = 0; i < 20; i++) {
      const info = await exec.inspect().catch(() => null)
      if (!info) break
      if (!info.Running) {
        exitCode = info.ExitCode ?? null
        break
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  return {
    exitCode,
    stdout: out.text(),
    stderr: err.text(),
    timedOut,
    truncated: out.truncated || err.truncated,
    durationMs: Math.round(performance.now() - started),
  }
}

export type ExecSession = {
  /** Raw bytes both ways (TTY: the terminal's stream; no TTY: Docker's multiplexed frames). */
  stream: Duplex
  resize: (cols: number, rows: number) => Promise<void>
  /** Exit code once the process ended; null when unknown. */
  exitCode: () => Promise<number | null>
}

/** An interactive exec (a shell): the hijacked connection itself, for the caller to pipe. */
export async function openExecSession(
  docker: Docker,
  containerId: string,
  cmd: string[],
  options: { tty: boolean; env?: string[]; workingDir?: string; user?: string; cols?: number; rows?: number },
): Promise<ExecSession> {
  const exec = await diagnosed(() =>
    docker.getContainer(containerId).exec({
      Cmd: cmd,
      Env: options.env,
      WorkingDir: options.workingDir,
      User: options.user,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
    }),
  )
  const stream = (await diagnosed(() => exec.start({ hijack: true, stdin: true, Tty: options.tty }))) as unknown as Duplex
  const resize = async (cols: number, rows: number) => {
    if (!options.tty) return
    await exec.resize({ w: Math.max(1, Math.min(cols, 1000)), h: Math.max(1, Math.min(rows, 1000)) }).catch(() => undefined)
  }
  if (options.tty && options.cols && options.rows) await resize(options.cols, options.rows)
  return {
    stream,
    resize,
    exitCode: async () => {
      for (let i = 0; i < 20; i++) {
        const info = await exec.inspect().catch(() => null)
        if (!info) return null
        if (!info.Running) return info.ExitCode ?? null
        await new Promise((r) => setTimeout(r, 25))
      }
      return null
    },
  }
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

export async function listContainersByLabel(docker: Docker, labels: Record<string, string | true>): Promise<ContainerSummary[]> {
  const list = await diagnosed(() => docker.listContainers({ all: true, filters: { label: labelFilter(labels) } }))
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

export async function inspectContainer(docker: Docker, idOrName: string): Promise<ContainerState | null> {
  const info = await host404ToNull(() => docker.getContainer(idOrName).inspect())
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

export async function createContainer(docker: Docker, spec: ContainerSpec): Promise<string> {
  const exposed: Record<string, object> = {}
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const p of spec.publish ?? []) {
    exposed[`${p.containerPort}/tcp`] = {}
    portBindings[`${p.containerPort}/tcp`] = [{ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' }]
  }
  const container = await diagnosed(
    () =>
      docker.createContainer({
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

export async function startContainer(docker: Docker, id: string): Promise<void> {
  await diagnosed(() => docker.getContainer(id).start())
}

export async function restartContainer(docker: Docker, id: string): Promise<void> {
  await diagnosed(() => docker.getContainer(id).restart({ t: 2 }))
}

/** Remove a container (force, with its anonymous volumes); a missing one is fine. */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true })
  } catch (error) {
    const status = statusOf(error)
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
  docker: Docker,
  spec: { name: string; subnet: string; gateway: string; bridgeName?: string; labels: Record<string, string>; internal?: boolean },
): Promise<string> {
  try {
    const network = await docker.createNetwork({
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

export async function connectNetwork(docker: Docker, network: string, containerId: string, options: { ipv4?: string; aliases?: string[] } = {}): Promise<void> {
  await diagnosed(() =>
    docker.getNetwork(network).connect({
      Container: containerId,
      EndpointConfig: { IPAMConfig: options.ipv4 ? { IPv4Address: options.ipv4 } : undefined, Aliases: options.aliases },
    }),
  )
}

export async function disconnectNetwork(docker: Docker, network: string, containerId: string): Promise<void> {
  try {
    await docker.getNetwork(network).disconnect({ Container: containerId, Force: true })
  } catch (error) {
    const status = statusOf(error)
    if (status === 404 || status === 403 || status === 500) return // gone, or not connected
    throw diagnoseDockerError(error)
  }
}

export type NetworkSummary = { id: string; name: string; labels: Record<string, string>; containers: string[]; subnets: string[] }

const subnetsOf = (n: { IPAM?: { Config?: { Subnet?: string }[] } }) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter(Boolean)

export async function listNetworksByLabel(docker: Docker, labels: Record<string, string | true>): Promise<NetworkSummary[]> {
  const list = await diagnosed(() => docker.listNetworks({ filters: { label: labelFilter(labels) } }))
  return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {}, containers: Object.keys(n.Containers ?? {}), subnets: subnetsOf(n) }))
}

export async function inspectNetwork(docker: Docker, idOrName: string): Promise<NetworkSummary | null> {
  const n = await host404ToNull(() => docker.getNetwork(idOrName).inspect())
  if (!n) return null
  return { id: n.Id, name: n.Name, labels: n.Labels ?? {}, containers: Object.keys(n.Containers ?? {}), subnets: subnetsOf(n) }
}

/** Remove a network; a missing one is fine. */
export async function removeNetwork(docker: Docker, idOrName: string): Promise<void> {
  try {
    await docker.getNetwork(idOrName).remove()
  } catch (error) {
    if (statusOf(error) === 404) return
    throw diagnoseDockerError(error)
  }
}

// ---------------------------------------------------------------- volumes

export async function ensureVolume(docker: Docker, name: string, labels: Record<string, string> = {}): Promise<void> {
  await diagnosed(() => docker.createVolume({ Name: name, Labels: labels }))
}
