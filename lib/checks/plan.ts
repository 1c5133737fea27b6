import { composeProjectQuery } from './evaluate/compose'
import { serviceQuery } from './evaluate/container'
import type { Check } from '../content/check-kinds'
import type { HttpRequestSpec } from './probes'

// Before reading anything, an exercise's checks are turned into one plan per node: which
// objects to inspect (each once, however many checks mention it) and which probes to run.
// The run then reads everything in parallel. Probe keys tie results back to their check.

export type ProbeSpec =
  | { key: string; type: 'container-dns'; from: string; host: string }
  | { key: string; type: 'container-reach'; from: string; host: string; port?: number }
  | { key: string; type: 'http'; from?: string; request: HttpRequestSpec }
  | { key: string; type: 'node-file'; path: string }
  | { key: string; type: 'command'; run: string }

/** Probes that need facts first: a volume's mount point, a Compose project's files. */
export type DeferredProbe =
  | { key: string; type: 'volume-file'; volume: string; path: string }
  | { key: string; type: 'compose-file'; project: string; file?: string; always: boolean; servicesWithoutContainer: string[] }

export interface NodePlan {
  containers: Set<string>
  labelQueries: Set<string>
  networks: Set<string>
  volumes: Set<string>
  images: Set<string>
  swarm: boolean
  swarmNodes: boolean
  services: boolean
  networkList: boolean
  /** Inspect the networks the containers are attached to (whether each is internal). */
  containerNetworks: boolean
  secrets: boolean
  configs: boolean
  probes: ProbeSpec[]
  deferred: DeferredProbe[]
}

export function emptyPlan(): NodePlan {
  return {
    containers: new Set(),
    labelQueries: new Set(),
    networks: new Set(),
    volumes: new Set(),
    images: new Set(),
    swarm: false,
    swarmNodes: false,
    services: false,
    networkList: false,
    containerNetworks: false,
    secrets: false,
    configs: false,
    probes: [],
    deferred: [],
  }
}

/** Add one check's needs to its node's plan. */
export function planCheck(plan: NodePlan, check: Check, index: number): void {
  const key = String(index)
  switch (check.kind) {
    case 'container':
      if (check.name) plan.containers.add(check.name)
      else plan.labelQueries.add(serviceQuery(check.service!, check.project))
      if (check.isolated !== undefined) plan.containerNetworks = true
      break
    case 'network':
      plan.networks.add(check.name)
      for (const c of [...(check.members ?? []), ...(check.notMembers ?? [])]) plan.containers.add(c)
      break
    case 'volume':
      plan.volumes.add(check.name)
      for (const c of check.mountedIn ?? []) plan.containers.add(c)
      if (check.file) plan.deferred.push({ key: `${key}:volume-file`, type: 'volume-file', volume: check.name, path: check.file.path })
      if (check.survivedReplacement) {
        plan.containers.add(check.survivedReplacement.container)
        plan.deferred.push({ key: `${key}:survived`, type: 'volume-file', volume: check.name, path: check.survivedReplacement.path })
      }
      break
    case 'image':
      plan.images.add(check.name)
      if (check.dockerfile) plan.probes.push({ key: `${key}:dockerfile`, type: 'node-file', path: check.dockerfile.path })
      break
    case 'compose': {
      plan.labelQueries.add(composeProjectQuery(check.project))
      const profiles = Object.keys(check.profiles ?? {}).length > 0
      if (profiles || (check.dependsOn ?? []).length > 0) {
        plan.deferred.push({
          key: `${key}:compose-file`,
          type: 'compose-file',
          project: check.project,
          file: check.file,
          always: profiles,
          servicesWithoutContainer: (check.dependsOn ?? []).map((d) => d.service),
        })
      }
      break
    }
    case 'swarm':
      plan.swarm = true
      if (check.nodes || check.managers !== undefined || check.workers !== undefined) plan.swarmNodes = true
      break
    case 'service':
      plan.swarm = true
      plan.services = true
      if (check.networks) plan.networkList = true
      break
    case 'secret':
      plan.swarm = true
      plan.secrets = true
      break
    case 'config':
      plan.swarm = true
      plan.configs = true
      break
    case 'stack':
      plan.swarm = true
      plan.services = true
      break
    case 'dns':
      plan.probes.push({ key, type: 'container-dns', from: check.from, host: check.host })
      if (check.addressOf) plan.containers.add(check.addressOf)
      break
    case 'reach':
      plan.probes.push({ key, type: 'container-reach', from: check.from, host: check.host, port: check.port })
      break
    case 'http':
      plan.probes.push({
        key,
        type: 'http',
        from: check.from,
        request: { url: check.url, method: check.method, headers: check.headers, insecure: check.insecure, timeoutSeconds: check.timeoutSeconds },
      })
      break
    case 'file':
      plan.probes.push({ key, type: 'node-file', path: check.path })
      break
    case 'command':
    case 'script':
      plan.probes.push({ key, type: 'command', run: check.run })
      break
  }
}
