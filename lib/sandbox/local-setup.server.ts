import 'server-only'
import type { DockerDaemon } from '../docker/client.server'
import { DockerProblemError, HostSetupError } from '../docker/diagnose.server'
import { engineInfo, requireImage, type EngineInfo } from '../docker/engine.server'
import type { HostPiece, IsolationMode } from '../env.server'
import type { SandboxConfig } from './config.server'
import { ensureHostFirewall } from './host-firewall.server'
import { canManageCgroups, canUseLoopDisks, hostUpstreamDns } from './host.server'
import { ensureRegistryMirror } from './registry-mirror.server'
import { canUseBtrfs, type DiskFormat } from './disk-steps.server'

// What this host gives sandboxes, checked once by LocalPlacement.prepare(): the engine and its
// isolation runtime, per-sandbox cgroups, bounded disks, the host firewall and the registry
// mirror. A piece that cannot be set up refuses sandboxes (fail closed) unless
// QUAI_SANDBOX_UNSAFE_ALLOW_MISSING lists it.

export type LocalPlacementStatus = {
  isolation: IsolationMode
  cgroups: 'parent' | 'per-container'
  disk: 'loop' | 'dir'
  /** A loop disk's filesystem: btrfs keeps steps (disk-steps.server.ts); null for a plain folder. */
  diskFormat: DiskFormat | null
  registry: boolean
  hostFirewall: boolean
  warnings: string[]
}

/** The sandboxes' bridge interfaces are named qsb<id>: the firewall matches them by this prefix. */
export const BRIDGE_PREFIX = 'qsb'

/** A host piece that could not be set up: what failed and how to fix it. */
type HostGap = { piece: HostPiece; what: string; fix: string }

const firewallFix = 'install iptables (apt-get install -y iptables: it also gives ip6tables) and run Quai as root on the Docker host'

export function ensureFirewall(config: SandboxConfig) {
  return ensureHostFirewall(BRIDGE_PREFIX, config.egress, config.dns ?? hostUpstreamDns())
}

/** The firewall failed for one sandbox: refused, unless the firewall may be missing (then logged). */
export function firewallGap(config: SandboxConfig, log: (message: string) => void, error: unknown): void {
  const what = `host firewall: ${(error as Error).message}`
  if (!config.allowMissing.includes('firewall')) throw new HostSetupError(`Quai refuses to create this sandbox: ${what}`, `${firewallFix}. For development only, QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=firewall starts sandboxes without it`, error)
  log(`QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=firewall: ${what}`)
}

export async function prepareLocalHost(docker: DockerDaemon, config: SandboxConfig, log: (message: string) => void): Promise<{ status: LocalPlacementStatus; engine: EngineInfo }> {
  const warnings: string[] = []
  const engine = await engineInfo(docker)
  await requireImage(docker, config.image)

  let isolation: IsolationMode
  if (config.isolation === 'auto') {
    isolation = engine.runtimes.includes('sysbox-runc') ? 'sysbox' : 'userns'
  } else {
    isolation = config.isolation
    if (isolation === 'sysbox' && !engine.runtimes.includes('sysbox-runc')) {
      throw new DockerProblemError('host_setup', 'QUAI_SANDBOX_ISOLATION=sysbox but the engine has no sysbox-runc runtime', 'install sysbox (https://github.com/nestybox/sysbox), or set QUAI_SANDBOX_ISOLATION=auto')
    }
  }
  if (isolation === 'caps') warnings.push('QUAI_SANDBOX_ISOLATION=caps: a learner is root of the host\'s user namespace inside the sandbox (see docs/sandbox.md)')

  // The pieces that keep a sandbox in bounds. Each one that cannot be set up is a gap; any
  // gap not listed in QUAI_SANDBOX_UNSAFE_ALLOW_MISSING refuses sandboxes (fail closed).
  const gaps: HostGap[] = []
  const cg = await canManageCgroups(config.cgroupParent)
  if (!cg.ok) gaps.push({ piece: 'cgroup', what: `per-sandbox limits: ${cg.reason}`, fix: 'run Quai as root on the Docker host, with /sys/fs/cgroup mounted read-write' })
  else if (engine.cgroupDriver !== 'cgroupfs') {
    gaps.push({ piece: 'cgroup', what: `per-sandbox limits: Docker uses the ${engine.cgroupDriver} cgroup driver`, fix: 'set "exec-opts": ["native.cgroupdriver=cgroupfs"] in /etc/docker/daemon.json and restart dockerd' })
  }

  let disk: 'loop' | 'dir' = 'dir'
  if (config.disk === 'dir') {
    warnings.push('QUAI_SANDBOX_DISK=dir: sandbox disks are not bounded (a learner can fill the host\'s disk)')
  } else {
    const loop = await canUseLoopDisks()
    if (loop.ok) disk = 'loop'
    else if (config.disk === 'loop') throw new HostSetupError(`QUAI_SANDBOX_DISK=loop but ${loop.reason}`, loop.fix ?? 'run Quai as root on the Docker host')
    else gaps.push({ piece: 'disk', what: `bounded sandbox disks: ${loop.reason}`, fix: loop.fix ?? 'run Quai as root on the Docker host' })
  }
  let diskFormat: DiskFormat | null = null
  if (disk === 'loop') {
    diskFormat = 'ext4'
    if (config.diskFormat !== 'ext4') {
      const btrfs = await canUseBtrfs()
      if (btrfs.ok) diskFormat = 'btrfs'
      else if (config.diskFormat === 'btrfs') throw new HostSetupError(`QUAI_SANDBOX_DISK_FS=btrfs but ${btrfs.reason}`, btrfs.fix ?? 'apt-get install -y btrfs-progs')
      else warnings.push(`sandbox disks are ext4, without steps (no going back to a passed exercise): ${btrfs.reason} (${btrfs.fix})`)
    }
  }

  let hostFirewall = false
  if (!config.blockHost) {
    warnings.push('QUAI_SANDBOX_BLOCK_HOST=false: sandboxes can reach the host\'s own services and the networks it is attached to')
  } else {
    try {
      await ensureFirewall(config)
      hostFirewall = true
    } catch (error) {
      gaps.push({ piece: 'firewall', what: `host firewall: ${(error as Error).message}`, fix: firewallFix })
    }
  }

  const refused = gaps.filter((g) => !config.allowMissing.includes(g.piece))
  if (refused.length) {
    const pieces = [...new Set(refused.map((g) => g.piece))]
    throw new HostSetupError(
      `Quai refuses to create sandboxes on this host, which cannot keep them in bounds: ${refused.map((g) => g.what).join('; ')}`,
      `${[...new Set(refused.map((g) => g.fix))].join('; ')}. For development only, QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=${pieces.join(',')} starts sandboxes without ${pieces.length > 1 ? 'them' : 'it'} (docs/sandbox.md)`,
    )
  }
  for (const g of gaps) warnings.push(`QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=${g.piece}: sandboxes start without ${g.what}`)

  let registry = false
  try {
    await ensureRegistryMirror(docker, config)
    registry = true
  } catch (error) {
    warnings.push(`no lesson registry mirror: ${(error as Error).message}`)
  }

  for (const w of warnings) log(w)
  const status: LocalPlacementStatus = {
    isolation,
    cgroups: gaps.some((g) => g.piece === 'cgroup') ? 'per-container' : 'parent',
    disk,
    diskFormat,
    registry,
    hostFirewall,
    warnings,
  }
  return { status, engine }
}
