import 'server-only'
import type { DockerDaemon } from '../docker/client.server'
import {
  connectNetwork,
  createBridgeNetwork,
  createContainer,
  ensureVolume,
  inspectContainer,
  inspectNetwork,
  listNetworksByLabel,
  removeContainer,
  requireImage,
  startContainer,
  SubnetTakenError,
} from '../docker/engine.server'
import type { SandboxConfig } from './config.server'
import { ipToString } from './host.server'
import { LABEL } from './local-labels'

/** Bumped when the mirror's container settings change: older ones are replaced. */
const REGISTRY_SPEC = '2'
/** The mirror's name on every sandbox network. */
export const REGISTRY_ALIAS = 'quai-registry'
const REGISTRY_NETWORK = 'quai-registry-net'

/**
 * The shared, read-only lesson registry mirror (filled by `npm run images:build`). It is
 * attached to every sandbox network, so it must never route between them: forwarding off,
 * no capabilities, read-only root and storage. A mirror made by an older spec is replaced
 * and re-attached to the sandbox networks it served.
 */
export async function ensureRegistryMirror(docker: DockerDaemon, config: SandboxConfig): Promise<void> {
  const name = config.registryContainer
  const existing = await inspectContainer(docker, name)
  if (existing && existing.labels[LABEL.registrySpec] !== REGISTRY_SPEC) {
    await removeContainer(docker, existing.id)
  } else if (existing?.running) {
    return
  } else if (existing) {
    await startContainer(docker, existing.id)
    return
  }
  await requireImage(docker, config.registryImage)
  if (!(await inspectNetwork(docker, REGISTRY_NETWORK))) {
    // Internal: the mirror has no way out; sandboxes reach it on their own networks.
    await createBridgeNetwork(docker, {
      name: REGISTRY_NETWORK,
      subnet: '10.212.255.0/29',
      gateway: '10.212.255.1',
      labels: { [LABEL.role]: 'registry' },
      internal: true,
    }).catch((error) => {
      if (!(error instanceof SubnetTakenError)) throw error
    })
  }
  await ensureVolume(docker, config.registryVolume, { [LABEL.role]: 'registry' })
  let id = ''
  try {
    id = await createContainer(docker, {
      name,
      image: config.registryImage,
      labels: { [LABEL.role]: 'registry', [LABEL.registrySpec]: REGISTRY_SPEC },
      network: { name: REGISTRY_NETWORK },
      binds: [`${config.registryVolume}:/var/lib/registry:ro`],
      cmd: ['serve', '/etc/docker/registry/quai-mirror.yml'],
      capDrop: ['ALL'],
      securityOpt: ['no-new-privileges'],
      readOnlyRootfs: true,
      sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.forwarding': '0' },
      memoryBytes: 256 * 1024 * 1024,
      pidsLimit: 256,
      logMaxSize: '5m',
    })
  } catch (error) {
    // Another server instance made it at the same moment.
    if (!/Conflict|already in use/i.test(String((error as Error).message))) throw error
    return
  }
  await startContainer(docker, id)
  for (const n of await listNetworksByLabel(docker, { [LABEL.sandbox]: true })) {
    const subnet = n.subnets[0]
    if (!subnet) continue
    const base = (subnet.split('/')[0] ?? '').split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
    await connectNetwork(docker, n.id, id, { ipv4: ipToString(base + 2), aliases: [REGISTRY_ALIAS] }).catch(() => undefined)
  }
}

/**
 * The images the mirror serves, as lessons name them ("nginx:1.26", "prom/prometheus:v2.53.3"),
 * read from its registry API: what this host can give a lesson, which quai-web's placement asks
 * before choosing a host. Empty when the mirror is not running or does not answer in time.
 */
export async function listMirrorImages(docker: DockerDaemon, config: SandboxConfig): Promise<string[]> {
  const mirror = await inspectContainer(docker, config.registryContainer)
  const address = mirror?.running ? mirror.addresses[REGISTRY_NETWORK] : undefined
  if (!address) return []
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`http://${address}:5000${path}`, { signal: AbortSignal.timeout(2_000) })
    if (!response.ok) throw new Error(`the lesson registry mirror answered ${response.status} to ${path}`)
    return (await response.json()) as T
  }
  try {
    const { repositories = [] } = await get<{ repositories?: string[] }>('/v2/_catalog?n=1000')
    const tagLists = await Promise.all(repositories.map((repo) => get<{ tags?: string[] | null }>(`/v2/${repo}/tags/list`)))
    return repositories.flatMap((repo, i) => (tagLists[i]?.tags ?? []).map((tag) => `${repo.replace(/^library\//, '')}:${tag}`)).sort()
  } catch {
    return []
  }
}
