import type { ContainerFacts } from '../docker/parse/container'
import type { ImageFacts, NetworkFacts, VolumeFacts } from '../docker/parse/objects'
import type { ServiceFacts, SwarmFacts } from '../docker/parse/swarm'

// What the evaluation functions read: the state of one sandbox node, gathered once per run,
// plus the output of the read-only probes some checks need (a lookup, a file, a request).
// Evaluation is pure: facts in, assertions out, so it is unit-tested with captured data.

export type { ContainerFacts, ImageFacts, NetworkFacts, ServiceFacts, SwarmFacts, VolumeFacts }

/** A probe run inside a container: what happened to the container before the command mattered. */
export type ContainerProbeFailure = { outcome: 'from-missing' } | { outcome: 'from-stopped' } | { outcome: 'no-tool'; tools: string }

export type DnsProbe = ContainerProbeFailure | { outcome: 'done'; addresses: string[] }
export type ReachProbe = ContainerProbeFailure | { outcome: 'done'; reached: boolean; detail: string }
export type HttpProbe =
  | ContainerProbeFailure
  | { outcome: 'error'; error: string }
  | { outcome: 'done'; status: number; headers: Record<string, string>; body: string; /** Cut at checkLimits.httpBodyBytes. */ bodyTruncated?: boolean }
export type FileProbe =
  | { outcome: 'missing' }
  | { outcome: 'not-a-file' }
  | { outcome: 'too-large'; bytes: number }
  | { outcome: 'read'; content: string; mtime: number }
export type CommandProbe = {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
  /** stdout was cut at checkLimits.commandOutputBytes. */
  stdoutTruncated?: boolean
}

export type Probe =
  | ({ kind: 'dns' } & DnsProbe)
  | ({ kind: 'reach' } & ReachProbe)
  | ({ kind: 'http' } & HttpProbe)
  | ({ kind: 'file' } & FileProbe)
  | ({ kind: 'command' } & CommandProbe)

export interface NodeFacts {
  node: string
  /** Containers inspected by name; null = no such container. */
  containers: Map<string, ContainerFacts | null>
  /**
   * Names that exist on the node, read only when something asked for was missing, so the
   * message can suggest a near miss ("tp_network" for "tp-network").
   */
  otherNames: { containers: string[] | null; networks: string[] | null; volumes: string[] | null; images: string[] | null }
  /** Container names per label query ("com.docker.compose.project=shop"). */
  labelQueries: Map<string, string[]>
  networks: Map<string, NetworkFacts | null>
  volumes: Map<string, VolumeFacts | null>
  images: Map<string, ImageFacts | null>
  swarm: SwarmFacts | null
  /** null when not read, or when the node is not a swarm manager (see swarm.isManager). */
  services: ServiceFacts[] | null
  /** Network id → name, for services (whose specs name networks by id). */
  networkIdToName: Map<string, string> | null
  secrets: string[] | null
  configs: string[] | null
  /** Probe results by key (see plan.ts for the keys). */
  probes: Map<string, Probe>
}

export function emptyNodeFacts(node: string): NodeFacts {
  return {
    node,
    containers: new Map(),
    otherNames: { containers: null, networks: null, volumes: null, images: null },
    labelQueries: new Map(),
    networks: new Map(),
    volumes: new Map(),
    images: new Map(),
    swarm: null,
    services: null,
    networkIdToName: null,
    secrets: null,
    configs: null,
    probes: new Map(),
  }
}
