import { z } from 'zod'
import { num, str, strList, strMap } from './fields'
import { networkFactsFromInspect, volumeFactsFromInspect } from './objects'

// The live diagram's view of a daemon (containers, networks, volumes), from the three lists
// (pure: no I/O).

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
