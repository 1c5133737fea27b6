import 'server-only'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { dockerClientForSocket, forgetDaemon, hostEngine, type DockerDaemon } from '../docker/client.server'
import { PrivilegedRefusedError } from '../docker/diagnose.server'
import { envNow } from '../env.server'
import {
  connectNetwork,
  createBridgeNetwork,
  createContainer,
  disconnectNetwork,
  inspectContainer,
  inspectNetwork,
  listContainersByLabel,
  listNetworksByLabel,
  removeContainer,
  listRunningContainers,
  removeNetwork,
  setContainerPaused,
  startContainer,
  stopContainer,
  SubnetTakenError,
  type ContainerSpec,
  type EngineInfo,
} from '../docker/engine.server'
import { defaultMaxOutputBytes, execInContainer, type ExecResult } from '../docker/exec.server'
import { listImageTags } from '../docker/reads.server'
import type { IsolationMode } from '../env.server'
import type { SandboxConfig } from './config.server'
import { disableBridgeIpv6 } from './host-firewall.server'
import {
  bindSocket,
  cgroupVersion,
  createLoopDisk,
  createPlainDisk,
  createSandboxCgroup,
  destroyDisk,
  diskRoomLeft,
  hostUpstreamDns,
  ipToString,
  listSandboxCgroups,
  listSandboxProcesses,
  processInfo,
  readSandboxPids,
  sandboxDiskSpace,
  randomSubnet,
  subnetBase,
  removeSandboxCgroup,
  removeSocketDir,
  restrictSandboxDevices,
  mountedBlockDevice,
  throttleSandboxDiskTree,
  unmountDisk,
  type SandboxDisk,
} from './host.server'
import {
  createBtrfsDisk,
  archiveKeptLab,
  exportKeptDisk,
  importKeptDisk,
  listKeptDisks,
  listStepsOnDisk,
  mountExistingDisk,
  moveFromKept,
  moveToKept,
  removeKeptDisk,
  removeStepFromDisk,
  restoreStep as restoreStepOnDisk,
  snapshotLive,
  diskHasSteps,
  allocatedBytes,
} from './disk-steps.server'
import { KeptDiskBrokenError, KeptDiskMissingError, keptIdPattern, SandboxHostFullError, StepsUnavailableError } from './types'
import {
  learnerCommand,
  type CreateSandboxSpec,
  type KeptDiskInfo,
  type RunningContainers,
  type ExecInNodeOptions,
  type NodeContainerState,
  type NodeDeath,
  type NodeHealth,
  type NodeRef,
  type PlacedNode,
  type PlacedSandbox,
  type PortRoute,
  type SandboxPlacement,
} from './placement'
import { nodeProcessPids } from './node-processes'
import { NodeRunners, RunnerUnavailableError } from './node-runner.server'
import { LABEL } from './local-labels'
import { BRIDGE_PREFIX, ensureFirewall, firewallGap, prepareLocalHost, type LocalPlacementStatus } from './local-setup.server'
import { listMirrorImages, REGISTRY_ALIAS } from './registry-mirror.server'
import { sandboxSeccompProfile } from './seccomp'

// Sandboxes on this server's Docker engine. One sandbox =
//   a bridge network of its own (quai-sb-<id>, bridge interface qsb<id>, a random /28),
//   one container per node on it (quai-sb-<id>-<node>, hostname = node name), each with its own
//   dockerd, and the shared read-only registry mirror attached to that network,
//   a parent cgroup /quai/<id> holding the limits of the whole sandbox,
//   a loop-mounted ext4 image holding everything the sandbox writes,
//   a host-only bind mount of each inner daemon's socket.
// Labels on containers and networks: quai.sandbox, quai.node, quai.user, quai.placement=local,
// quai.namespace (QUAI_SANDBOX_NAMESPACE: deployments and test runs on one engine stay apart).

const LAB = '/root/lab'

/** How long a learner's container may take to stop cleanly when its sandbox is kept. */
const keepStopSeconds = 5

/** How long past a command's own timeout an exec's answer is awaited (`timeout -k 1` kills it a second after). */
const answerMarginMs = 3000
/** How long the resident runner is awaited for a command given no timeout. */
const untimedRunnerWaitMs = 60_000

/** QUAI_SANDBOX_TRACE=1 logs how long each step of a start takes. */
function tracer(id: string): (step: string) => void {
  if (envNow('QUAI_SANDBOX_TRACE') !== '1') return () => undefined
  const t0 = performance.now()
  return (step) => console.log(`[sandbox ${id}] ${step} at ${Math.round(performance.now() - t0)} ms`)
}

/** A node's inner daemon: a request idle for 30 s is cut, so a stalled learner daemon frees it. */
const nodeDaemonAt = (socketPath: string) => dockerClientForSocket(socketPath, { idleTimeoutMs: 30_000 })

/** "local", or "local-<namespace>" outside the default namespace. */
export const localPlacementName = (config: SandboxConfig) => (config.namespace === 'quai' ? 'local' : `local-${config.namespace}`)

/** An exec that ended with its node: no exit code (callers ask whether the node died). */
const lostExec: ExecResult = { exitCode: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0 }

export class LocalPlacement implements SandboxPlacement {
  /** "local" (or "local-<namespace>" outside the default namespace), stored in Sandbox.placement. */
  readonly name: string
  private prepared: Promise<LocalPlacementStatus> | null = null
  private engine: EngineInfo | null = null
  private readonly runners = new NodeRunners()

  constructor(
    private readonly config: SandboxConfig,
    private readonly log: (message: string) => void = (m) => console.warn(`[sandbox] ${m}`),
  ) {
    this.name = localPlacementName(config)
  }

  private get docker(): DockerDaemon {
    return hostEngine()
  }

  // ---------------------------------------------------------------- set-up

  prepare(): Promise<void> {
    return this.status().then(() => undefined)
  }

  /** What this host gives sandboxes (resolved once; a failure is retried on the next call). */
  status(): Promise<LocalPlacementStatus> {
    this.prepared ??= this.doPrepare().catch((error) => {
      this.prepared = null
      throw error
    })
    return this.prepared
  }

  private async doPrepare(): Promise<LocalPlacementStatus> {
    const { status, engine } = await prepareLocalHost(this.docker, this.config, this.log)
    this.engine = engine
    return status
  }

  /**
   * Before each sandbox: the firewall rules are still the ones this host needs (its addresses
   * may have changed, a flush may have removed them); they are put back if not. A failure
   * refuses the sandbox unless the firewall is allowed to be missing.
   */
  private async checkFirewall(status: LocalPlacementStatus): Promise<void> {
    if (!status.hostFirewall) return
    try {
      await ensureFirewall(this.config)
    } catch (error) {
      this.firewallGap(error)
    }
  }

  private firewallGap(error: unknown): void {
    firewallGap(this.config, this.log, error)
  }

  // ---------------------------------------------------------------- paths and names

  private stateDir(id: string) {
    return path.join(this.config.stateDir, id)
  }
  private keptDir(diskId: string) {
    if (!keptIdPattern.test(diskId)) throw new Error(`bad disk id ${JSON.stringify(diskId)}`)
    return path.join(this.config.keptDir, diskId)
  }
  private socketDir(id: string) {
    return path.join(this.config.runDir, id)
  }
  private containerName(id: string, node: string) {
    return `quai-sb-${id}-${node}`
  }
  private networkName(id: string) {
    return `quai-sb-${id}`
  }

  // ---------------------------------------------------------------- create

  async create(spec: CreateSandboxSpec): Promise<PlacedSandbox> {
    const status = await this.status()
    const id = spec.sandboxId
    try {
      return await this.doCreate(spec, status)
    } catch (error) {
      // A resumed disk that fails to start goes back to being kept: the learner's work is never
      // removed by a failed start (a broken one was put back by resumeDisk already).
      const cleanup = spec.resume && !(error instanceof KeptDiskBrokenError) ? this.keep(id, spec.resume.diskId).then(() => undefined) : this.destroy(id)
      await cleanup.catch((e) => this.log(`cleanup of ${id} after a failed start: ${(e as Error).message}`))
      throw error
    }
  }

  private async doCreate(spec: CreateSandboxSpec, status: LocalPlacementStatus): Promise<PlacedSandbox> {
    const id = spec.sandboxId
    const labels = {
      [LABEL.sandbox]: id,
      [LABEL.user]: spec.userId,
      [LABEL.placement]: this.name,
      [LABEL.namespace]: this.config.namespace,
      [LABEL.pool]: spec.pooled ? '1' : '0',
    }
    const limits = spec.limits
    const memoryBytes = limits.memoryMb * 1024 * 1024
    const isolation = status.isolation

    const trace = tracer(id)

    // Host state (disk, cgroup) and the network are independent: made side by side.
    await fsp.mkdir(this.config.stateDir, { recursive: true, mode: 0o700 })
    const stateDir = this.stateDir(id)
    const hostState = (async () => {
      const room = { stateDir: this.config.stateDir, reserveMb: this.config.diskReserveMb }
      const disk: SandboxDisk = spec.resume
        ? await this.resumeDisk(stateDir, spec.resume.diskId, limits.diskMb)
        : status.disk !== 'loop'
          ? await createPlainDisk(stateDir)
          : status.diskFormat === 'btrfs'
            ? await createBtrfsDisk(stateDir, limits.diskMb, room)
            : await createLoopDisk(stateDir, limits.diskMb, room)
      let cgroupParent: string | undefined
      const device = disk.bounded ? mountedBlockDevice(disk.mountPoint) : null
      const diskIo = device ? { device, limits: this.config.diskIo } : undefined
      if (status.cgroups === 'parent') {
        cgroupParent = await createSandboxCgroup(this.config.cgroupParent, id, {
          memoryBytes,
          cpus: limits.cpus,
          pids: limits.pids,
          restrictDevices: isolation !== 'privileged',
          sandboxesCpuWeight: this.config.sandboxesCpuWeight,
          diskIo,
        })
      }
      trace('disk and cgroup')
      return { disk, cgroupParent, diskIo }
    })()
    const firewall = this.checkFirewall(status)
    // The network: a random /28 of the pool, retried when it collides with another.
    const network = (async () => {
      for (let attempt = 0; ; attempt++) {
        // A resumed sandbox asks for its former subnet first (its Swarm's nodes keep their addresses).
        const former = attempt === 0 && spec.resume?.subnet ? subnetBase(spec.resume.subnet) : null
        const pick = former ?? randomSubnet(this.config.subnetPool)
        const bridgeName = `${BRIDGE_PREFIX}${id.slice(0, 12)}`
        try {
          const networkId = await createBridgeNetwork(this.docker, {
            name: this.networkName(id),
            subnet: pick.subnet,
            gateway: ipToString(pick.base + 1),
            bridgeName,
            labels,
          })
          // No IPv6 on the host's side of the bridge, before any node is attached to it.
          await disableBridgeIpv6(bridgeName).catch((error: unknown) => {
            if (this.config.blockHost) this.firewallGap(error)
          })
          trace('network')
          return { networkId, base: pick.base, subnet: pick.subnet }
        } catch (error) {
          if (!(error instanceof SubnetTakenError) || attempt >= 30) throw error
        }
      }
    })()
    // Every step settles before a failure is thrown: the cleanup that follows (create's catch)
    // must not run while the network is still being made, or the network outlives it.
    const settled = await Promise.allSettled([hostState, network, firewall])
    const failed = settled.find((result) => result.status === 'rejected')
    if (failed) throw failed.reason
    const [{ disk, cgroupParent, diskIo }, { networkId, base, subnet }] = await Promise.all([hostState, network])
    const registryIp = ipToString(base + 2)
    // The mirror joins the network while the nodes start (it is only needed at their first pull).
    const registryJoined = status.registry
      ? connectNetwork(this.docker, networkId, this.config.registryContainer, { ipv4: registryIp, aliases: [REGISTRY_ALIAS] }).then(() => trace('registry attached'))
      : Promise.resolve()
    registryJoined.catch(() => undefined)

    const nodeIps = spec.nodes.map((_, i) => ipToString(base + 3 + i))
    const extraHosts = [...(status.registry ? [`${REGISTRY_ALIAS}:${registryIp}`] : []), ...spec.nodes.map((n, i) => `${n.name}:${nodeIps[i]}`)]
    const dns = this.config.dns ?? hostUpstreamDns()
    const seccomp = sandboxSeccompProfile({ cgroupVersion: cgroupVersion() })
    const apparmor = this.engine?.securityOptions.includes('apparmor') ? ['apparmor=unconfined'] : []

    const placed: PlacedNode[] = await Promise.all(
      spec.nodes.map(async (node, i) => {
        const nodeDir = path.join(disk.mountPoint, node.name)
        const dirs = { root: 'root', docker: 'docker', lab: 'lab', run: 'run' }
        for (const d of Object.values(dirs)) await fsp.mkdir(path.join(nodeDir, d), { recursive: true })
        const env = [
          `QUAI_ISOLATION=${isolation === 'privileged' ? 'caps' : isolation}`,
          `QUAI_UID_BASE=${this.config.uidBase}`,
          `QUAI_NODE=${node.name}`,
          `QUAI_LAB=${LAB}`,
          `QUAI_DNS=${dns.join(',')}`,
          `QUAI_INSECURE_REGISTRIES=${this.config.insecureRegistries.join(',')}`,
          ...(status.registry ? [`QUAI_REGISTRY_MIRROR=http://${REGISTRY_ALIAS}:5000`] : []),
          ...(envNow('QUAI_SANDBOX_TRACE') === '1' ? ['QUAI_ENTRYPOINT_TRACE=1'] : []),
        ]
        const containerSpec: ContainerSpec = {
          name: this.containerName(id, node.name),
          image: this.config.image,
          hostname: node.name,
          env,
          labels: { ...labels, [LABEL.node]: node.name, [LABEL.role]: 'sandbox-node' },
          network: { name: this.networkName(id), ipv4: nodeIps[i] },
          binds: [
            `${path.join(nodeDir, dirs.root)}:/quai/disk`,
            `${path.join(nodeDir, dirs.docker)}:/var/lib/docker`,
            `${path.join(nodeDir, dirs.lab)}:${LAB}`,
            `${path.join(nodeDir, dirs.run)}:/run/quai`,
          ],
          extraHosts,
          cgroupnsMode: 'private',
          cgroupParent,
          memoryBytes,
          nanoCpus: Math.round(limits.cpus * 1e9),
          pidsLimit: limits.pids,
          // Under memory pressure on the host, a sandbox goes before Quai or the database.
          oomScoreAdj: 500,
          ...this.isolationFlags(isolation, seccomp, apparmor),
        }
        const containerId = await this.createNodeContainer(containerSpec, isolation)
        trace(`node ${node.name} started`)
        return {
          sandboxId: id,
          name: node.name,
          role: node.role,
          hostname: node.name,
          containerId,
          socketPath: null,
          address: nodeIps[i] ?? null,
        }
      }),
    )

    await this.awaitDaemons(id, disk.mountPoint, placed, trace)
    if (spec.resume) {
      await this.startRecorded(placed, spec.resume.running)
      trace('recorded containers started')
    }
    // cgroup v1 throttles I/O flatly: the cgroups the nodes made below the sandbox's get the limits too.
    if (cgroupParent && diskIo) await throttleSandboxDiskTree(this.config.cgroupParent, id, diskIo)
    await registryJoined
    for (const node of placed) this.runners.warm({ docker: this.docker, containerId: node.containerId }, this.runnerCommand)
    return { sandboxId: id, networkId, isolation, nodes: placed, subnet, steps: diskHasSteps(stateDir) }
  }

  /** Ready when every inner daemon answers; then each socket is pinned to a host-only path. */
  private async awaitDaemons(id: string, mountPoint: string, nodes: NodeRef[], trace: (step: string) => void): Promise<void> {
    const deadline = Date.now() + this.config.startTimeoutSeconds * 1000
    await Promise.all(
      nodes.map(async (node) => {
        const source = path.join(mountPoint, node.name, 'run', 'docker.sock')
        await this.waitForDaemon(node, source, deadline)
        const target = path.join(this.socketDir(id), `${node.name}.sock`)
        await bindSocket(source, target)
        node.socketPath = target
        trace(`node ${node.name} ready`)
      }),
    )
  }

  /** A kept disk moved into the new sandbox's folder and mounted (put back where it was kept when it is broken). */
  private async resumeDisk(stateDir: string, diskId: string, sizeMb: number): Promise<SandboxDisk> {
    const keptDir = this.keptDir(diskId)
    await moveFromKept(keptDir, stateDir, diskId, sizeMb, { stateDir: this.config.stateDir, reserveMb: this.config.diskReserveMb })
    try {
      return await mountExistingDisk(stateDir, diskId)
    } catch (error) {
      await unmountDisk(stateDir).catch(() => undefined)
      await moveToKept(stateDir, keptDir).catch(() => undefined)
      throw error
    }
  }

  /** Start again the learner's containers that were running (those already up, or gone, are skipped). */
  private async startRecorded(nodes: NodeRef[], running: RunningContainers): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.socketPath) return
        const daemon = nodeDaemonAt(node.socketPath)
        await Promise.all(
          (running[node.name] ?? []).map((containerId) =>
            startContainer(daemon, containerId).catch((error: unknown) => this.log(`sandbox ${node.sandboxId}: container ${containerId.slice(0, 12)} of ${node.name} did not start again: ${(error as Error).message}`)),
          ),
        )
      }),
    )
  }

  /** The learner's running containers per node (Swarm tasks excluded: their Swarm starts them again). */
  private async recordRunning(nodes: NodeRef[]): Promise<RunningContainers> {
    const running: RunningContainers = {}
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.socketPath) return
        const list = await listRunningContainers(nodeDaemonAt(node.socketPath)).catch(() => null)
        if (list) running[node.name] = list.filter((c) => !c.labels['com.docker.swarm.task.id']).map((c) => c.id)
      }),
    )
    return running
  }

  /**
   * Stop nodes: the learner's containers in `cleanly` first (each through its node's API, with
   * its own stop signal, as `docker stop -t 5` does), then each inner daemon is asked to shut
   * down, and the node container is stopped. A daemon left to stop containers itself is ended
   * with its node before it has released their network sandboxes, which its next start spends
   * seconds removing (a resume's main cost); with `cleanly` null (a state about to be replaced
   * by a step) that is what happens.
   */
  private async stopNodes(nodes: NodeRef[], cleanly: RunningContainers | null): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        if (cleanly && node.socketPath) {
          const daemon = nodeDaemonAt(node.socketPath)
          // At most keepStopSeconds each: a `sh -c` that ignores SIGTERM must not hold a learner
          // who reopens the lesson for Docker's 10 s. (Swarm tasks are not in it: recordRunning.)
          await Promise.all((cleanly[node.name] ?? []).map((id) => stopContainer(daemon, id, keepStopSeconds).catch(() => undefined)))
        }
        await execInContainer(this.docker, node.containerId, learnerCommand(['sh', '-c', 'kill -TERM "$(cat /var/run/docker.pid)"']), { timeoutMs: 5000 }).catch(() => undefined)
        await stopContainer(this.docker, node.containerId, 20)
      }),
    )
  }

  private isolationFlags(isolation: IsolationMode, seccomp: string, apparmor: string[]): Partial<ContainerSpec> {
    switch (isolation) {
      case 'sysbox':
        return { runtime: 'sysbox-runc' }
      case 'privileged':
        return { privileged: true }
      case 'caps':
        return { capAdd: ['SYS_ADMIN', 'NET_ADMIN'], securityOpt: [`seccomp=${seccomp}`, ...apparmor] }
      case 'userns':
        // systempaths=unconfined: the inner user namespace mounts its own /proc, which the
        // kernel allows only when no path of the outer /proc is masked. Only the outer side,
        // which the learner never enters, sees that unmasked /proc.
        return { capAdd: ['SYS_ADMIN', 'NET_ADMIN'], securityOpt: [`seccomp=${seccomp}`, ...apparmor], unmaskSystemPaths: true }
    }
  }

  private async createNodeContainer(spec: ContainerSpec, isolation: IsolationMode): Promise<string> {
    const id = await createContainer(this.docker, spec)
    try {
      await startContainer(this.docker, id)
    } catch (error) {
      if (isolation === 'privileged' && error instanceof PrivilegedRefusedError) {
        // This engine refuses --privileged: say so once, and use the capability recipe.
        this.log(`${error.message} -> sandboxes now use QUAI_SANDBOX_ISOLATION=userns`)
        await removeContainer(this.docker, id)
        const sandboxId = spec.labels?.[LABEL.sandbox]
        if (spec.cgroupParent && sandboxId) await restrictSandboxDevices(this.config.cgroupParent, sandboxId)
        if (this.prepared) this.prepared = this.prepared.then((s) => ({ ...s, isolation: 'userns' }))
        const seccomp = sandboxSeccompProfile({ cgroupVersion: cgroupVersion() })
        const retry = { ...spec, privileged: undefined, ...this.isolationFlags('userns', seccomp, []) }
        retry.env = (spec.env ?? []).map((e) => (e.startsWith('QUAI_ISOLATION=') ? 'QUAI_ISOLATION=userns' : e))
        const second = await createContainer(this.docker, retry)
        await startContainer(this.docker, second)
        return second
      }
      throw error
    }
    return id
  }

  private async waitForDaemon(node: NodeRef, socket: string, deadline: number): Promise<void> {
    let checks = 0
    while (Date.now() < deadline) {
      if (fs.existsSync(socket)) {
        const ok = await nodeDaemonAt(socket).ping(1000)
        forgetDaemon(socket)
        if (ok) return
      }
      // Every so often, make sure the node is still alive (a failed entrypoint ends it).
      if (++checks % 20 === 0) {
        const state = await inspectContainer(this.docker, node.containerId)
        if (!state?.running) {
          const logs = await this.docker.logTail(node.containerId, 5)
          throw new Error(`node ${node.name} stopped while starting (exit ${state?.exitCode ?? '?'}): ${logs}`)
        }
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error(`node ${node.name}: its Docker daemon did not answer within ${this.config.startTimeoutSeconds}s`)
  }

  // ---------------------------------------------------------------- destroy

  async destroy(sandboxId: string): Promise<void> {
    await this.removeAllButDisk(sandboxId, () => destroyDisk(this.stateDir(sandboxId)))
  }

  /** Containers, network, sockets and cgroup of a sandbox (and `disk`, the step that removes its disk, if any). */
  private async removeAllButDisk(sandboxId: string, disk?: () => Promise<void>): Promise<void> {
    const errors: string[] = []
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn()
      } catch (error) {
        errors.push(`${what}: ${(error as Error).message}`)
      }
    }
    await step('containers', async () => {
      const containers = await listContainersByLabel(this.docker, { [LABEL.sandbox]: sandboxId })
      for (const c of containers) this.runners.forget(c.id)
      await Promise.all(containers.map((c) => removeContainer(this.docker, c.id)))
    })
    await step('network', async () => {
      const networks = await listNetworksByLabel(this.docker, { [LABEL.sandbox]: sandboxId })
      for (const listed of networks) {
        // The list does not say who is attached; the registry mirror always is.
        const n = await inspectNetwork(this.docker, listed.id)
        for (const c of n?.containers ?? []) await disconnectNetwork(this.docker, listed.id, c)
        await removeNetwork(this.docker, listed.id)
      }
    })
    await step('sockets', async () => {
      for (const f of await fsp.readdir(this.socketDir(sandboxId)).catch(() => [] as string[])) forgetDaemon(path.join(this.socketDir(sandboxId), f))
      await removeSocketDir(this.socketDir(sandboxId))
    })
    if (disk) await step('disk', disk)
    await step('cgroup', () => removeSandboxCgroup(this.config.cgroupParent, sandboxId))
    if (errors.length) throw new Error(`removing sandbox ${sandboxId}: ${errors.join('; ')}`)
  }

  // ---------------------------------------------------------------- kept disks and steps

  async keep(sandboxId: string, diskId: string): Promise<KeptDiskInfo> {
    const stateDir = this.stateDir(sandboxId)
    const keptDir = this.keptDir(diskId)
    await fsp.mkdir(keptDir, { recursive: true, mode: 0o700 })
    // What ran is written beside the disk before anything stops: a keep started again after a
    // crash finds it there, whatever it had already stopped.
    const runningFile = path.join(keptDir, 'running.json')
    const nodes = await this.findNodes(sandboxId)
    const recorded = nodes.length > 0 && !fs.existsSync(runningFile) && fs.existsSync(stateDir) ? await this.recordRunning(nodes) : null
    if (recorded) await fsp.writeFile(runningFile, JSON.stringify(recorded), { mode: 0o600 })
    const running = recorded ?? (JSON.parse(await fsp.readFile(runningFile, 'utf8').catch(() => '{}')) as RunningContainers)
    const trace = tracer(sandboxId)
    // The containers stopped cleanly are the ones recorded: those a resume starts again.
    if (nodes.length > 0) await this.stopNodes(nodes, running)
    trace('nodes stopped')
    await this.removeAllButDisk(sandboxId)
    trace('containers, network and cgroup removed')
    let bytes: number
    if (fs.existsSync(stateDir)) {
      await unmountDisk(stateDir)
      bytes = await moveToKept(stateDir, keptDir)
      await fsp.rm(stateDir, { recursive: true, force: true })
    } else {
      bytes = (await listKeptDisks(this.config.keptDir)).find((d) => d.diskId === diskId)?.bytes ?? 0
    }
    await fsp.rm(runningFile, { force: true })
    return { bytes, running }
  }

  async snapshot(sandboxId: string, step: string): Promise<{ running: RunningContainers }> {
    const stateDir = this.stateDir(sandboxId)
    if (!diskHasSteps(stateDir)) throw new StepsUnavailableError()
    const nodes = await this.findNodes(sandboxId)
    const running = await this.recordRunning(nodes)
    // Frozen together: every node's files and daemons at one instant.
    await Promise.all(nodes.map((n) => setContainerPaused(this.docker, n.containerId, true)))
    try {
      await snapshotLive(stateDir, step)
    } finally {
      await Promise.all(nodes.map((n) => setContainerPaused(this.docker, n.containerId, false)))
    }
    return { running }
  }

  async restoreStep(sandboxId: string, step: string, running: RunningContainers): Promise<void> {
    const stateDir = this.stateDir(sandboxId)
    if (!diskHasSteps(stateDir)) throw new StepsUnavailableError()
    if (!(await listStepsOnDisk(stateDir)).includes(step)) throw new Error(`step ${step} is not on the disk of sandbox ${sandboxId}`)
    const trace = tracer(sandboxId)
    const nodes = await this.findNodes(sandboxId)
    await this.stopNodes(nodes, null)
    trace('nodes stopped')
    const socketDir = this.socketDir(sandboxId)
    for (const f of await fsp.readdir(socketDir).catch(() => [] as string[])) forgetDaemon(path.join(socketDir, f))
    await removeSocketDir(socketDir)
    await restoreStepOnDisk(stateDir, step)
    trace('step swapped in')
    await Promise.all(nodes.map((node) => startContainer(this.docker, node.containerId)))
    const restarted = nodes.map((n) => ({ ...n, socketPath: null as string | null }))
    await this.awaitDaemons(sandboxId, path.join(stateDir, 'mnt'), restarted, trace)
    await this.startRecorded(restarted, running)
    trace('containers started')
    await this.reapplyLimits(sandboxId)
  }

  async removeStep(sandboxId: string, step: string): Promise<void> {
    await removeStepFromDisk(this.stateDir(sandboxId), step)
  }

  async removeKept(diskId: string): Promise<void> {
    await removeKeptDisk(this.keptDir(diskId))
  }

  async listKept(): Promise<{ diskId: string; bytes: number }[]> {
    return listKeptDisks(this.config.keptDir)
  }

  archiveKeptLab(diskId: string): Promise<NodeJS.ReadableStream> {
    // Beside the kept folder, not in it: removing a kept disk never walks into this mount.
    return archiveKeptLab(this.keptDir(diskId), path.join(this.config.keptDir, `${diskId}.lab`), diskId)
  }

  /** A kept disk as a (sparse) tar stream, for another host (kept-move.server.ts). */
  exportKept(diskId: string): NodeJS.ReadableStream {
    const dir = this.keptDir(diskId)
    if (!fs.existsSync(dir)) throw new KeptDiskMissingError(diskId)
    return exportKeptDisk(dir)
  }

  /**
   * A kept disk from another host, refused (SandboxHostFullError) when this host's disk could
   * not hold its `bytes` beside what its sandbox images may still grow into and the reserve.
   */
  async importKept(diskId: string, input: NodeJS.ReadableStream, bytes: number): Promise<number> {
    await fsp.mkdir(this.config.keptDir, { recursive: true, mode: 0o700 })
    const left = await diskRoomLeft({ stateDir: this.config.stateDir, reserveMb: this.config.diskReserveMb }).catch(() => null)
    if (left !== null && left < bytes) {
      throw new SandboxHostFullError(Math.ceil(bytes / 1024 / 1024), Math.max(0, Math.floor(left / 1024 / 1024)), `free space on the filesystem of ${this.config.stateDir}`)
    }
    return importKeptDisk(this.keptDir(diskId), input)
  }

  /** Bytes the sandbox's disk holds now (for the space a learner sees while it runs). */
  async usedBytes(sandboxId: string): Promise<number> {
    return allocatedBytes(path.join(this.stateDir(sandboxId), 'disk.img'))
  }

  // ---------------------------------------------------------------- state

  async health(sandboxId: string, nodes: { name: string; containerId: string | null; socketPath: string | null }[]): Promise<NodeHealth[]> {
    return Promise.all(
      nodes.map(async (n) => {
        const state = n.containerId ? await inspectContainer(this.docker, n.containerId) : null
        const running = Boolean(state?.running && state.labels[LABEL.sandbox] === sandboxId)
        const daemonAnswers = running && n.socketPath && fs.existsSync(n.socketPath) ? await nodeDaemonAt(n.socketPath).ping(2000) : false
        return { name: n.name, containerId: state?.id ?? null, running, daemonAnswers }
      }),
    )
  }

  async listNodeStates(): Promise<NodeContainerState[]> {
    const scope = { [LABEL.role]: 'sandbox-node', [LABEL.placement]: this.name, [LABEL.namespace]: this.config.namespace } as const
    const states: NodeContainerState[] = []
    for (const c of await listContainersByLabel(this.docker, scope)) {
      const sandboxId = c.labels[LABEL.sandbox]
      const node = c.labels[LABEL.node]
      if (sandboxId && node) states.push({ sandboxId, node, containerId: c.id, running: c.running })
    }
    return states
  }

  /** Free and total space of the filesystem that holds the sandbox disks (an agent's heartbeat and metrics). */
  async hostDisk(): Promise<{ diskFreeMb: number; diskTotalMb: number }> {
    const disk = await fsp.statfs(this.config.stateDir).catch(() => fsp.statfs('/'))
    const mb = (blocks: number) => Math.floor((blocks * disk.bsize) / 1024 / 1024)
    return { diskFreeMb: mb(disk.bavail), diskTotalMb: mb(disk.blocks) }
  }

  /** The host engine's image tags and the images the lesson registry mirror serves (an agent's heartbeat). */
  async hostImages(): Promise<{ images: string[]; mirrorImages: string[] }> {
    const [images, mirrorImages] = await Promise.all([listImageTags(this.docker), listMirrorImages(this.docker, this.config)])
    return { images, mirrorImages }
  }

  /** The nodes of one sandbox as this host runs them (what an agent trusts, rather than what it is told). */
  async findNodes(sandboxId: string): Promise<NodeRef[]> {
    const scope = { [LABEL.role]: 'sandbox-node', [LABEL.placement]: this.name, [LABEL.namespace]: this.config.namespace, [LABEL.sandbox]: sandboxId } as const
    return (await listContainersByLabel(this.docker, scope)).flatMap((c) => {
      const name = c.labels[LABEL.node]
      if (!name) return []
      const socketPath = path.join(this.socketDir(sandboxId), `${name}.sock`)
      return [{ sandboxId, name, containerId: c.id, socketPath: fs.existsSync(socketPath) ? socketPath : null }]
    })
  }

  async nodeDeath(_sandboxId: string, node: { name: string; containerId: string }): Promise<NodeDeath | null> {
    const state = await inspectContainer(this.docker, node.containerId)
    if (state?.running) return null
    return { node: node.name, exitCode: state ? state.exitCode : null, outOfMemory: state?.oomKilled ?? false }
  }

  async processCount(sandboxId: string): Promise<{ current: number; max: number } | null> {
    return readSandboxPids(this.config.cgroupParent, sandboxId)
  }

  async reapplyLimits(sandboxId: string): Promise<void> {
    const limits = this.config.diskIo
    if (cgroupVersion() === 2 || !Object.values(limits).some((v) => v > 0)) return
    const device = mountedBlockDevice(path.join(this.stateDir(sandboxId), 'mnt'))
    if (device) await throttleSandboxDiskTree(this.config.cgroupParent, sandboxId, { device, limits })
  }

  async diskSpace(sandboxId: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
    return sandboxDiskSpace(this.stateDir(sandboxId))
  }

  async killLearnerProcesses(sandboxId: string, nodes: { containerId: string | null }[]): Promise<number> {
    const inits = new Set<number>()
    for (const n of nodes) {
      const state = n.containerId ? await inspectContainer(this.docker, n.containerId) : null
      if (state?.pid) inits.add(state.pid)
    }
    let killed = 0
    // A fork bomb refills the places that kills free: rounds until nothing of the learner is left.
    for (let round = 0; round < 100; round++) {
      // Told apart by identity (parents, start order, binaries), not by name: see node-processes.ts.
      const processes = listSandboxProcesses(this.config.cgroupParent, sandboxId)
        .map(processInfo)
        .filter((p) => p !== null)
      const nodes = nodeProcessPids(processes, inits)
      const learners = processes.map((p) => p.pid).filter((pid) => !nodes.has(pid))
      if (learners.length === 0) return killed
      for (const pid of learners) {
        try {
          process.kill(pid, 'SIGKILL')
          killed++
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    return killed
  }

  async listPlaced(): Promise<string[]> {
    const ids = new Set<string>()
    const scope = { [LABEL.sandbox]: true, [LABEL.placement]: this.name, [LABEL.namespace]: this.config.namespace } as const
    for (const c of await listContainersByLabel(this.docker, scope)) {
      const id = c.labels[LABEL.sandbox]
      if (id) ids.add(id)
    }
    for (const n of await listNetworksByLabel(this.docker, scope)) {
      const id = n.labels[LABEL.sandbox]
      if (id) ids.add(id)
    }
    for (const dir of [this.config.stateDir, this.config.runDir]) {
      for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[])) if (e.isDirectory()) ids.add(e.name)
    }
    for (const id of listSandboxCgroups(this.config.cgroupParent)) ids.add(id)
    return [...ids]
  }

  // ---------------------------------------------------------------- using a node

  execCommand(cmd: string[], workingDir?: string): string[] {
    return learnerCommand(cmd, workingDir)
  }

  async exec(node: NodeRef, cmd: string[], options: ExecInNodeOptions = {}): Promise<ExecResult> {
    let argv = cmd
    if (options.timeoutMs) {
      // Bound the process itself (Docker cannot kill an exec): TERM, then KILL a second later.
      argv = ['timeout', '-k', '1', String(Math.max(1, Math.ceil(options.timeoutMs / 1000))), ...cmd]
    }
    // How long to wait for the answer: the command's timeout (timeout -k 1 above) and a margin.
    const waitMs = options.timeoutMs ? options.timeoutMs + answerMarginMs : undefined
    if (options.resident && options.stdin === undefined && options.env === undefined) {
      const ref = { docker: this.docker, containerId: node.containerId }
      const command = { argv, workingDir: options.workingDir, deadlineMs: waitMs ?? untimedRunnerWaitMs + answerMarginMs, maxOutputBytes: options.maxOutputBytes ?? defaultMaxOutputBytes }
      try {
        return await this.runners.run(ref, this.runnerCommand, command)
      } catch (error) {
        if (!(error instanceof RunnerUnavailableError)) throw error
        // Gone with its node: the command is lost, as a plain exec's would be. Otherwise the
        // learner killed it, and the command runs again as a plain exec.
        if (error.whileRunning && !(await inspectContainer(this.docker, node.containerId))?.running) return lostExec
      }
    }
    const result = await execInContainer(this.docker, node.containerId, this.execCommand(argv, options.workingDir), {
      env: options.env,
      stdin: options.stdin,
      timeoutMs: waitMs,
      maxOutputBytes: options.maxOutputBytes,
    })
    // runc could not start quai-enter (the node is stopping): the command never ran, its exit code is not its own.
    if (result.exitCode === 126 && [result.stderr, result.stdout].some((text) => text.startsWith('OCI runtime exec failed'))) return { ...result, exitCode: null }
    return result
  }

  /** The node's resident runner (images/sandbox/quai-runner), entered into the learner's world. */
  private get runnerCommand(): string[] {
    return this.execCommand(['quai-runner'], '/')
  }

  nodeContainer(node: NodeRef) {
    return { docker: this.docker, containerId: node.containerId }
  }

  innerDocker(node: NodeRef) {
    if (!node.socketPath) throw new Error(`node ${node.name} has no inner daemon socket`)
    return nodeDaemonAt(node.socketPath)
  }

  async nodeAddress(node: NodeRef): Promise<string | null> {
    const state = await inspectContainer(this.docker, node.containerId)
    return state?.addresses[this.networkName(node.sandboxId)] ?? Object.values(state?.addresses ?? {})[0] ?? null
  }

  async portRoute(node: NodeRef, port: number): Promise<PortRoute> {
    const host = await this.nodeAddress(node)
    if (!host) throw new Error(`node ${node.name} has no address`)
    return { host, port }
  }
}
