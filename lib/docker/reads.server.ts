import 'server-only'
import { z } from 'zod'
import type { DockerDaemon } from './client.server'
import { daemonPath, readDaemonJson } from './daemon-read.server'
import { guarded, orNullOn404 } from './errors.server'
import { containerFactsFromInspect, type ContainerFacts } from './parse/container'
import { str, strList, strMap } from './parse/fields'
import { imageFactsFromInspect, networkFactsFromInspect, volumeFactsFromInspect, type ImageFacts, type NetworkFacts, type VolumeFacts } from './parse/objects'
import { snapshotFromLists, type SandboxSnapshot } from './parse/snapshot'
import { serviceFactsFromInspect, swarmFactsFromInfo, swarmSectionOf, type ServiceFacts, type SwarmFacts } from './parse/swarm'

// Read-only views of a Docker daemon for the exercise checks and the live diagram. Every
// Engine API answer is read with a cap (daemon-read.server.ts: DaemonAnswerTooLargeError past
// 4 MiB: the daemon is the learner's) and parsed into Quai's own facts (./parse), so that the
// checks never depend on dockerode's shapes. Nothing here creates, starts, stops or pulls anything.

/** A bounded GET of a JSON answer from the daemon (see daemon-read.server.ts). */
const getJson = (docker: DockerDaemon, path: string, what: string, signal?: AbortSignal, query?: Record<string, unknown>) =>
  readDaemonJson(docker, { path, what, signal, query })

/** A JSON answer that must be a list (anything else reads as empty). */
async function getList(docker: DockerDaemon, path: string, what: string, signal?: AbortSignal, query?: Record<string, unknown>): Promise<unknown[]> {
  const answer = await getJson(docker, path, what, signal, query)
  return Array.isArray(answer) ? answer : []
}

/** One container by exact name (not an ID prefix: "db" must not match a container 'db41…'). */
export async function inspectContainer(docker: DockerDaemon, name: string, signal?: AbortSignal): Promise<ContainerFacts | null> {
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
export async function listContainers(docker: DockerDaemon, labels: string[] = [], signal?: AbortSignal): Promise<ListedContainer[]> {
  const filters = labels.length ? { label: labels } : undefined
  const list = await guarded(() => getList(docker, '/containers/json', 'the container list', signal, { all: true, ...(filters ? { filters } : {}) }))
  return list.map((raw) => {
    const c = listedName.parse(raw)
    return { name: (c.Names[0] ?? c.Id).replace(/^\//, ''), labels: c.Labels }
  })
}

/** (dockerode's network inspect takes no abort signal: the caller's budget still bounds it.) */
export async function inspectNetwork(docker: DockerDaemon, name: string): Promise<NetworkFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/networks/${daemonPath(name)}`, `network ${name}`))
  if (!raw) return null
  const facts = networkFactsFromInspect(raw)
  return facts.name === name || facts.id === name ? facts : null
}

/** Network id → name, for services (whose specs name networks by id). */
export async function listNetworks(docker: DockerDaemon, signal?: AbortSignal): Promise<NetworkFacts[]> {
  const list = await guarded(() => getList(docker, '/networks', 'the network list', signal))
  return list.map(networkFactsFromInspect)
}

async function volumeList(docker: DockerDaemon, signal?: AbortSignal): Promise<unknown[]> {
  const answer = (await getJson(docker, '/volumes', 'the volume list', signal)) as { Volumes?: unknown } | null
  return Array.isArray(answer?.Volumes) ? answer.Volumes : []
}

export async function inspectVolume(docker: DockerDaemon, name: string, signal?: AbortSignal): Promise<VolumeFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/volumes/${daemonPath(name)}`, `volume ${name}`, signal))
  return raw ? volumeFactsFromInspect(raw) : null
}

export async function listVolumes(docker: DockerDaemon, signal?: AbortSignal): Promise<VolumeFacts[]> {
  return (await guarded(() => volumeList(docker, signal))).map(volumeFactsFromInspect)
}

/** Every "repo:tag" on the daemon (to suggest near misses). */
export async function listImageTags(docker: DockerDaemon, signal?: AbortSignal): Promise<string[]> {
  const list = await guarded(() => getList(docker, '/images/json', 'the image list', signal))
  return list.flatMap((raw) => z.object({ RepoTags: strList }).parse(raw).RepoTags).filter((t) => t !== '<none>:<none>')
}

export async function inspectImage(docker: DockerDaemon, name: string, signal?: AbortSignal): Promise<ImageFacts | null> {
  const raw = await orNullOn404(() => getJson(docker, `/images/${daemonPath(name)}/json`, `image ${name}`, signal))
  return raw ? imageFactsFromInspect(raw) : null
}

export async function readSwarm(docker: DockerDaemon, withNodes: boolean, signal?: AbortSignal): Promise<SwarmFacts> {
  const info = await guarded(() => getJson(docker, '/info', 'the daemon information', signal))
  const s = swarmSectionOf(info)
  const nodes: unknown[] | null =
    withNodes && s.LocalNodeState === 'active' && s.ControlAvailable ? await guarded(() => getList(docker, '/nodes', 'the swarm node list', signal)) : null
  return swarmFactsFromInfo(info, nodes)
}

const rawTask = z.object({ ServiceID: str, DesiredState: str, Status: z.object({ State: str }).nullish() })

/** Services with their running task counts: two calls (services, tasks), whatever the number of services. */
export async function listServices(docker: DockerDaemon, signal?: AbortSignal): Promise<ServiceFacts[]> {
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

export async function listSecretNames(docker: DockerDaemon, signal?: AbortSignal): Promise<string[]> {
  const list = await guarded(() => getList(docker, '/secrets', 'the secret list', signal))
  return list.map((s) => specName.parse(s).Spec.Name)
}

export async function listConfigNames(docker: DockerDaemon, signal?: AbortSignal): Promise<string[]> {
  const list = await guarded(() => getList(docker, '/configs', 'the config list', signal))
  return list.map((s) => specName.parse(s).Spec.Name)
}

/** Containers, networks and volumes in three calls, for the live diagram. */
export async function readSnapshot(docker: DockerDaemon, signal?: AbortSignal): Promise<SandboxSnapshot> {
  const [containers, networks, volumes] = await Promise.all([
    guarded(() => getList(docker, '/containers/json', 'the container list', signal, { all: true })),
    guarded(() => getList(docker, '/networks', 'the network list', signal)),
    guarded(() => volumeList(docker, signal)),
  ])
  return snapshotFromLists(containers, networks, volumes)
}
