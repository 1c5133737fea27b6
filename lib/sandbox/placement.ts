import type http from 'node:http'
import type { DockerDaemon } from '../docker/client.server'
import type { ExecResult } from '../docker/exec.server'
import type { IsolationMode } from '../env.server'
import type { NodeRole } from './types'

// Where a sandbox's nodes run. LocalPlacement (local-placement.server.ts) runs them on this
// server's Docker engine; a Swarm-backed placement would implement the same interface with
// the nodes scheduled on other hosts. A placement keeps no sandbox state in memory: what it
// needs is in the database (SandboxNode rows) and in the containers' labels.

export type NodeSpec = { name: string; role: NodeRole }

export type PlacementLimits = {
  memoryMb: number
  cpus: number
  pids: number
  diskMb: number
}

export type CreateSandboxSpec = {
  sandboxId: string
  /** Who the sandbox was created for (the pool's user for a pooled one); written as a label. */
  userId: string
  pooled: boolean
  nodes: NodeSpec[]
  limits: PlacementLimits
  /**
   * What the lesson pulls from the lesson registry mirror ("nginx:1.26"): for choosing a host
   * whose mirror serves them. Not part of the agent protocol's create (its schema drops it).
   */
  lessonImages?: string[]
  /** A kept disk to start from instead of a new one (docs/persistence.md). */
  resume?: ResumeDisk
}

/** The learner's inner containers that were running, per node (started again on resume and after a step's restore). */
export type RunningContainers = Record<string, string[]>

export type ResumeDisk = {
  diskId: string
  running: RunningContainers
  /** The sandbox network's /28 when it was kept: taken again when free, so a Swarm's nodes keep their addresses. */
  subnet: string | null
  /** The host that keeps it (with several hosts; the sandbox must start there). */
  host: string | null
}

/** What keeping a sandbox's disk left on its host. */
export type KeptDiskInfo = { bytes: number; running: RunningContainers }

/** How the backend reaches one node: enough to exec, copy files and talk to its daemon. */
export type NodeRef = {
  sandboxId: string
  name: string
  containerId: string
  /** Host path of the node's inner dockerd socket (null when the placement has none). */
  socketPath: string | null
}

export type PlacedNode = NodeRef & { hostname: string; role: NodeRole; address: string | null }

export type PlacedSandbox = {
  sandboxId: string
  networkId: string | null
  isolation: IsolationMode
  nodes: PlacedNode[]
  /** The sandbox network's subnet (kept with its disk). */
  subnet?: string | null
  /** Whether its disk can take steps (btrfs). */
  steps?: boolean
}

/** One node container as the hosts list it (for the health tick: one listing for all sandboxes). */
export type NodeContainerState = { sandboxId: string; node: string; containerId: string; running: boolean }

/** Why a node stopped, as far as the host knows. */
export type NodeDeath = { node: string; exitCode: number | null; outOfMemory: boolean }

export type NodeHealth = { name: string; containerId: string | null; running: boolean; daemonAnswers: boolean }

export type ExecInNodeOptions = {
  env?: string[]
  /** Inside the node; default: the learner's working folder. */
  workingDir?: string
  stdin?: string | Buffer
  /** Kill the command after this long (the result says timedOut). */
  timeoutMs?: number
  maxOutputBytes?: number
  /**
   * Through the node's resident runner (node-runner.server.ts) rather than a new docker exec:
   * for the short commands of checks (without `timeoutMs`, a minute at most). Ignored with
   * `stdin` or `env`.
   */
  resident?: boolean
}

export interface SandboxPlacement {
  /** Stored in Sandbox.placement. */
  readonly name: string
  /** Idempotent set-up (shared registry mirror, host firewall rule, checks); cheap once done. */
  prepare(): Promise<void>
  /**
   * For a placement over several hosts: choose the host of a sandbox about to be queued, and
   * record it (Sandbox.agentName), so that it waits in that host's start queue. Returns the
   * host's name, or throws when no host can take it. A placement of one host has no such step.
   */
  assignHost?(spec: CreateSandboxSpec): Promise<string>
  /** Create and start every node, on a network of their own; resolves when each inner daemon answers. */
  create(spec: CreateSandboxSpec): Promise<PlacedSandbox>
  /** Remove everything the sandbox has on its hosts (containers, network, disks, sockets, cgroups). Idempotent. */
  destroy(sandboxId: string): Promise<void>
  /**
   * Stop the sandbox cleanly (each inner daemon stops its containers) and keep its disk on its
   * host as `diskId`; everything else goes, as with destroy. Idempotent, and safe to run again
   * after a crash half-way: what was already kept stays kept.
   */
  keep(sandboxId: string, diskId: string): Promise<KeptDiskInfo>
  /** A step: a copy-on-write snapshot of the whole sandbox, nodes frozen for its duration. Throws StepsUnavailableError without btrfs. */
  snapshot(sandboxId: string, step: string): Promise<{ running: RunningContainers }>
  /** Put the sandbox back to a step (nodes restarted; the current state is gone). */
  restoreStep(sandboxId: string, step: string, running: RunningContainers): Promise<void>
  removeStep(sandboxId: string, step: string): Promise<void>
  /** Remove a kept disk from the host that holds it (`host`: with several hosts). */
  removeKept(diskId: string, host: string | null): Promise<void>
  /**
   * The lab folders of a kept disk's nodes as a .tar.gz (`<node>/...`), read from the disk
   * mounted read-only, without starting it (`host`: with several hosts). The stream ends once
   * the disk is unmounted. The caller marks the disk first, so that nothing resumes it meanwhile.
   */
  archiveKeptLab(diskId: string, host: string | null): Promise<NodeJS.ReadableStream>
  /** The kept disks on the hosts, with the bytes each holds. */
  listKept(): Promise<{ diskId: string; bytes: number }[]>
  /** The nodes' state as the hosts see it (for reconcile and health checks). */
  health(sandboxId: string, nodes: { name: string; containerId: string | null; socketPath: string | null }[]): Promise<NodeHealth[]>
  /** Every node container of this placement, running or not, in one call to each host. */
  listNodeStates(): Promise<NodeContainerState[]>
  /** Why a node is not running; null while it runs (a node the hosts no longer know died for an unknown reason). */
  nodeDeath(sandboxId: string, node: { name: string; containerId: string }): Promise<NodeDeath | null>
  /** Processes in the whole sandbox and its limit (null when the host does not bound them per sandbox). */
  processCount(sandboxId: string): Promise<{ current: number; max: number } | null>
  /**
   * Kill every process the learner started in the sandbox (shells, their children, inner
   * containers' processes), keeping what runs the nodes (init, dockerd, containerd). Returns how many.
   */
  killLearnerProcesses(sandboxId: string, nodes: { containerId: string | null }[]): Promise<number>
  /**
   * Put the sandbox's limits back where the host keeps them per cgroup and new cgroups miss
   * them (cgroup v1 I/O throttling, which is flat: inner containers started later). Cheap: the
   * runtime's tick calls it for every running sandbox.
   */
  reapplyLimits(sandboxId: string): Promise<void>
  /** Free and total bytes of the sandbox's disk (null when it is not bounded by a disk of its own). */
  diskSpace(sandboxId: string): Promise<{ freeBytes: number; totalBytes: number } | null>
  /** Ids of the sandboxes that have anything on the hosts (containers, networks, disks...). */
  listPlaced(): Promise<string[]>
  /** Run a command as the learner in a node (TTY-less), collecting its output. */
  exec(node: NodeRef, cmd: string[], options?: ExecInNodeOptions): Promise<ExecResult>
  /** The argv that runs `cmd` as the learner in a node, for callers that exec by themselves. */
  execCommand(cmd: string[]): string[]
  /** The engine and container that hold a node (for raw exec streams and the archive API). */
  nodeContainer(node: NodeRef): { docker: DockerDaemon; containerId: string }
  /** The node's inner Docker daemon. */
  innerDocker(node: NodeRef): DockerDaemon
  /** The node's address on its sandbox's network (the host of its published ports, as the node sees them). */
  nodeAddress(node: NodeRef): Promise<string | null>
  /** How quai-web connects to a port published on the node: http.request options (directly, or through the agent). */
  portRoute(node: NodeRef, port: number): Promise<PortRoute>
}

/** Connection options of http.request for a node's port. */
export type PortRoute = Pick<http.RequestOptions, 'host' | 'port' | 'socketPath' | 'agent'>

/** The argv that runs `cmd` as the learner in a node (quai-enter is in the sandbox image). */
export function learnerCommand(cmd: string[], workingDir?: string): string[] {
  return ['quai-enter', ...(workingDir ? ['--wd', workingDir] : []), ...cmd]
}
