import { z } from 'zod'
import { bool, envToRecord, num, parsePortKey, str, strList, strMap } from './fields'

// Networks, volumes and images of a daemon as plain facts (pure: no I/O).

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
