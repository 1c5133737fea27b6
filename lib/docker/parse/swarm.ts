import { z } from 'zod'
import { bool, envToRecord, num, str, strList, strMap } from './fields'

// Swarm state, nodes and services as plain facts (pure: no I/O).

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

/** The Swarm part of `GET /info` (an inactive one when the daemon leaves it out). */
export function swarmSectionOf(info: unknown) {
  return rawInfoSwarm.parse(info).Swarm
}

export function swarmFactsFromInfo(info: unknown, nodes: unknown[] | null): SwarmFacts {
  const s = swarmSectionOf(info)
  return {
    localNodeState: s.LocalNodeState || 'inactive',
    nodeId: s.NodeID,
    isManager: s.ControlAvailable,
    managers: s.Managers,
    nodes: s.Nodes,
    nodeList: nodes ? nodes.map(swarmNodeFacts) : null,
  }
}

// ---------------------------------------------------------------- services

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
