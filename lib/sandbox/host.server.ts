import 'server-only'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ProcessInfo } from './node-processes'
import { SandboxHostFullError } from './types'

// Host-level pieces of a local sandbox that Docker does not provide: the parent cgroup that
// holds the limits, the size-bounded disk, the host-only socket bind mounts, and the firewall
// rules that keep sandboxes off the host (host-firewall.server.ts). All of it needs root on the
// Docker host (the Quai server runs there as root); without it Quai refuses to create
// sandboxes unless told otherwise (docs/sandbox.md, QUAI_SANDBOX_UNSAFE_ALLOW_MISSING).

const run = promisify(execFile)

export async function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const e = error as { stderr?: string; message?: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message || String(error)).trim()}`, { cause: error })
  }
}

export function shWithInput(cmd: string, args: string[], input: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || error.message).trim()}`, { cause: error }))
      else resolve(stdout)
    })
    child.stdin?.end(input)
  })
}

export const isRoot = () => process.getuid?.() === 0

// ---------------------------------------------------------------- mounts

/** One line of /proc/self/mountinfo: `device` is major:minor, `mountOptions` are the mount's own (nosuid, nodev...), `superOptions` the filesystem's. */
export type MountEntry = { device: string; mountPoint: string; fsType: string; source: string; mountOptions: string[]; superOptions: string[] }

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)))
}

export function readMounts(): MountEntry[] {
  const text = fs.readFileSync('/proc/self/mountinfo', 'utf8')
  const entries: MountEntry[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    const [left = '', right = ''] = line.split(' - ')
    const fields = left.split(' ')
    const [fsType = '', source = '', superOpts = ''] = right.split(' ')
    entries.push({ device: fields[2] ?? '', mountPoint: unescapeMount(fields[4] ?? ''), fsType, source, mountOptions: (fields[5] ?? '').split(','), superOptions: superOpts.split(',') })
  }
  return entries
}

export function isMountPoint(p: string): boolean {
  const resolved = path.resolve(p)
  return readMounts().some((m) => m.mountPoint === resolved)
}

export async function umountQuietly(target: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!isMountPoint(target)) return
    try {
      await sh('umount', [target])
    } catch {
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)))
    }
  }
  // Still busy (a process holds it): detach it now, the kernel frees it when released.
  if (isMountPoint(target)) await sh('umount', ['-l', target]).catch(() => undefined)
}

// ---------------------------------------------------------------- cgroups

/** A sandbox disk's bandwidth (bytes per second) and operations per second; 0: no limit. */
export type DiskIoLimits = { readBps: number; writeBps: number; readIops: number; writeIops: number }

export type CgroupLimits = {
  memoryBytes: number
  cpus: number
  pids: number
  /** Restrict the device list to what unprivileged containers get (not with --privileged). */
  restrictDevices: boolean
  /**
   * CPU weight of the parent of all sandboxes (cgroup v2 units: 100 is what a process of the
   * host's root cgroup weighs), so that all sandboxes together cannot starve Quai's server.
   */
  sandboxesCpuWeight: number
  /** The sandbox's disk (major:minor of its loop device) and its I/O limits; none for a plain folder. */
  diskIo?: { device: string; limits: DiskIoLimits }
}

/** Every sandbox weighs the same among sandboxes: a default process's weight. */
export const sandboxCpuWeight = 100

/** cgroup v2 weight (1-10000, default 100) to cgroup v1 cpu.shares (2-262144, default 1024). */
export const cpuWeightToShares = (weight: number) => Math.min(262_144, Math.max(2, Math.round((weight * 1024) / 100)))
const sharesToCpuWeight = (shares: number) => Math.round((shares * 100) / 1024)

/** Docker's device list for unprivileged containers: the parent allows no more. */
const allowedDevices = [
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm', // null
  'c 1:5 rwm', // zero
  'c 1:7 rwm', // full
  'c 1:8 rwm', // random
  'c 1:9 rwm', // urandom
  'c 5:0 rwm', // tty
  'c 5:1 rwm', // console
  'c 5:2 rwm', // ptmx
  'c 136:* rwm', // pts
  'c 10:200 rwm', // tun
]

type Hierarchy = { dir: string; controllers: string[] }

const cgroupRoot = '/sys/fs/cgroup'

export function cgroupVersion(): 1 | 2 {
  return fs.existsSync(path.join(cgroupRoot, 'cgroup.controllers')) ? 2 : 1
}

/**
 * The v1 hierarchies mounted on the host (one directory per mount), and on a hybrid host the
 * v2 one at /sys/fs/cgroup/unified, where runc also makes a directory for each container.
 */
function v1Hierarchies(): Hierarchy[] {
  const seen = new Set<string>()
  const result: Hierarchy[] = []
  for (const m of readMounts()) {
    if ((m.fsType !== 'cgroup' && m.fsType !== 'cgroup2') || !m.mountPoint.startsWith(cgroupRoot + '/')) continue
    if (seen.has(m.mountPoint)) continue
    seen.add(m.mountPoint)
    const controllers = m.fsType === 'cgroup2' ? [] : m.superOptions.filter((o) => !['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec', 'clone_children'].includes(o) && !o.startsWith('release_agent'))
    result.push({ dir: m.mountPoint, controllers })
  }
  return result
}

async function write(file: string, value: string): Promise<void> {
  await fsp.writeFile(file, value)
}

async function ensureCpuset(dir: string): Promise<void> {
  const parent = path.dirname(dir)
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const own = (await fsp.readFile(path.join(dir, f), 'utf8').catch(() => '')).trim()
    if (own) continue
    const fromParent = (await fsp.readFile(path.join(parent, f), 'utf8')).trim()
    await write(path.join(dir, f), fromParent)
  }
}

/**
 * Whether this process can hold sandboxes' limits on parent cgroups: it makes the parent
 * /<parent> in every hierarchy (what each sandbox's cgroup goes under), so a read-only or
 * missing cgroupfs, or a process that is not root, is found before any sandbox starts.
 */
export async function canManageCgroups(parent: string): Promise<{ ok: boolean; reason?: string }> {
  if (!isRoot()) return { ok: false, reason: 'the Quai server does not run as root' }
  const dirs = cgroupVersion() === 2 ? [path.join(cgroupRoot, parent)] : v1Hierarchies().map((h) => path.join(h.dir, parent))
  if (dirs.length === 0) return { ok: false, reason: `no cgroup hierarchy is mounted under ${cgroupRoot}` }
  for (const dir of dirs) {
    try {
      await fsp.mkdir(dir, { recursive: true })
      fs.accessSync(dir, fs.constants.W_OK)
    } catch (error) {
      return { ok: false, reason: `cannot create ${dir} (${(error as { code?: string }).code ?? (error as Error).message})` }
    }
  }
  return { ok: true }
}

/**
 * Create /<parent>/<id> in every cgroup hierarchy with the sandbox's limits, and return the
 * path to give Docker as --cgroup-parent. The sandbox's containers live below it; the
 * learner's cgroup namespace starts further down, so these files are out of their reach.
 */
export async function createSandboxCgroup(parent: string, id: string, limits: CgroupLimits): Promise<string> {
  const rel = `/${parent}/${id}`
  if (cgroupVersion() === 2) {
    const controllers = (await fsp.readFile(path.join(cgroupRoot, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/)
    const wanted = ['cpu', 'memory', 'pids', 'io', 'cpuset'].filter((c) => controllers.includes(c))
    const enable = wanted.map((c) => `+${c}`).join(' ')
    await write(path.join(cgroupRoot, 'cgroup.subtree_control'), enable).catch(() => undefined)
    const p = path.join(cgroupRoot, parent)
    await fsp.mkdir(p, { recursive: true })
    await write(path.join(p, 'cgroup.subtree_control'), enable).catch(() => undefined)
    const dir = path.join(p, id)
    await fsp.mkdir(dir, { recursive: true })
    await write(path.join(dir, 'cgroup.subtree_control'), enable).catch(() => undefined)
    await write(path.join(dir, 'memory.max'), String(limits.memoryBytes))
    await write(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined)
    await write(path.join(dir, 'cpu.max'), `${Math.round(limits.cpus * 100_000)} 100000`)
    await write(path.join(p, 'cpu.weight'), String(limits.sandboxesCpuWeight))
    await write(path.join(dir, 'cpu.weight'), String(sandboxCpuWeight))
    await write(path.join(dir, 'pids.max'), String(limits.pids))
    // io.max is hierarchical: on the sandbox's cgroup it holds for everything below it.
    if (limits.diskIo) await write(path.join(dir, 'io.max'), ioMaxLine(limits.diskIo.device, limits.diskIo.limits))
    return rel
  }
  for (const h of v1Hierarchies()) {
    const top = path.join(h.dir, parent)
    const dir = path.join(top, id)
    await fsp.mkdir(dir, { recursive: true })
    const has = (c: string) => h.controllers.includes(c)
    if (has('cpuset')) {
      await ensureCpuset(top)
      await ensureCpuset(dir)
    }
    if (has('memory')) {
      await write(path.join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes))
      // No swap: memory+swap capped at the same value (where swap accounting exists).
      await write(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined)
    }
    if (has('cpu')) {
      await write(path.join(dir, 'cpu.cfs_period_us'), '100000')
      await write(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * 100_000)))
      await write(path.join(top, 'cpu.shares'), String(cpuWeightToShares(limits.sandboxesCpuWeight)))
      await write(path.join(dir, 'cpu.shares'), String(cpuWeightToShares(sandboxCpuWeight)))
    }
    if (has('pids')) await write(path.join(dir, 'pids.max'), String(limits.pids))
    if (has('blkio') && limits.diskIo) await writeBlkioThrottle(dir, limits.diskIo.device, limits.diskIo.limits)
    if (has('devices') && limits.restrictDevices) {
      await write(path.join(dir, 'devices.deny'), 'a')
      for (const rule of allowedDevices) await write(path.join(dir, 'devices.allow'), rule)
    }
  }
  return rel
}

function ioMaxLine(device: string, limits: DiskIoLimits): string {
  const value = (n: number) => (n > 0 ? String(n) : 'max')
  return `${device} rbps=${value(limits.readBps)} wbps=${value(limits.writeBps)} riops=${value(limits.readIops)} wiops=${value(limits.writeIops)}`
}

async function writeBlkioThrottle(dir: string, device: string, limits: DiskIoLimits): Promise<void> {
  const files: [string, number][] = [
    ['blkio.throttle.read_bps_device', limits.readBps],
    ['blkio.throttle.write_bps_device', limits.writeBps],
    ['blkio.throttle.read_iops_device', limits.readIops],
    ['blkio.throttle.write_iops_device', limits.writeIops],
  ]
  // 0 removes a rule; writing it where there is none is refused, and changes nothing anyway.
  // A rule already there is not written again (the runtime's tick re-applies them: reads are cheap).
  for (const [file, value] of files) {
    if (value <= 0) continue
    const current = readCgroupFile(path.join(dir, file)) ?? ''
    if (current.split('\n').includes(`${device} ${value}`)) continue
    await write(path.join(dir, file), `${device} ${value}`)
  }
}

/**
 * cgroup v1 only: blkio throttling there is flat (a cgroup's limits hold for the processes in
 * it, not for those of its children; verified on this host's kernel), so the limits are
 * copied into every cgroup below the sandbox's that exists once its nodes are up: the node
 * containers' and the `inner` cgroups the learner's shells and inner daemon run in. Cgroups
 * made later (the learner's inner containers) are covered when the runtime's tick calls this
 * again (LocalPlacement.reapplyLimits): only the cgroups missing a rule are written.
 */
export async function throttleSandboxDiskTree(parent: string, id: string, diskIo: { device: string; limits: DiskIoLimits }): Promise<void> {
  if (cgroupVersion() === 2) return
  const walk = async (dir: string): Promise<void> => {
    await writeBlkioThrottle(dir, diskIo.device, diskIo.limits)
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[])
    for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name))
  }
  for (const h of v1Hierarchies()) {
    const top = path.join(h.dir, parent, id)
    if (h.controllers.includes('blkio') && fs.existsSync(top)) await walk(top)
  }
}

/** The major:minor of the block device mounted at `mountPoint` (a sandbox's loop disk), or null. */
export function mountedBlockDevice(mountPoint: string): string | null {
  const resolved = path.resolve(mountPoint)
  const mount = readMounts().find((m) => m.mountPoint === resolved && /^\d+:\d+$/.test(m.device))
  if (!mount) return null
  // btrfs reports an anonymous device (0:N): the loop device it sits on is the source.
  if (mount.device.startsWith('0:') && mount.source.startsWith('/dev/loop')) {
    const rdev = fs.statSync(mount.source, { throwIfNoEntry: false })?.rdev
    if (rdev === undefined) return null
    return `${(rdev >> 8) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`
  }
  return mount.device
}

/** The CPU weight of a process's cgroup, in cgroup v2 units (100 for the root cgroup's processes). */
export function processCpuWeight(pid: number | 'self'): number {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')
  if (cgroupVersion() === 2) {
    const rel = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '/'
    const weight = rel === '/' ? null : fs.readFileSync(path.join(cgroupRoot, rel, 'cpu.weight'), 'utf8').trim()
    return weight ? Number(weight) : 100
  }
  const rel = lines.map((l) => l.split(':')).find(([, controllers]) => controllers?.split(',').includes('cpu'))?.[2] ?? '/'
  const hierarchy = v1Hierarchies().find((h) => h.controllers.includes('cpu'))
  if (!hierarchy) return 100
  return sharesToCpuWeight(Number(fs.readFileSync(path.join(hierarchy.dir, rel, 'cpu.shares'), 'utf8').trim()))
}

function readCgroupFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return null
  }
}

/** The CPU weights (cgroup v2 units) of the parent of all sandboxes and of one sandbox, as the kernel holds them. */
export function readSandboxCpuWeights(parent: string, id: string): { sandboxes: number | null; sandbox: number | null } {
  if (cgroupVersion() === 2) {
    const weight = (dir: string) => readCgroupFile(path.join(dir, 'cpu.weight'))
    const [sandboxes, sandbox] = [weight(path.join(cgroupRoot, parent)), weight(path.join(cgroupRoot, parent, id))]
    return { sandboxes: sandboxes ? Number(sandboxes) : null, sandbox: sandbox ? Number(sandbox) : null }
  }
  const shares = (dir: string) => readCgroupFile(path.join(dir, 'cpu.shares'))
  const [sandboxes, sandbox] = [shares(path.join(cgroupRoot, 'cpu', parent)), shares(path.join(cgroupRoot, 'cpu', parent, id))]
  return { sandboxes: sandboxes ? sharesToCpuWeight(Number(sandboxes)) : null, sandbox: sandbox ? sharesToCpuWeight(Number(sandbox)) : null }
}

/** The I/O limits on `device` of the cgroup <parent>/<id>[/<below>] as the kernel holds them (0: none). */
export function readSandboxDiskIoLimits(parent: string, id: string, device: string, below = ''): DiskIoLimits {
  if (cgroupVersion() === 2) {
    const line = (readCgroupFile(path.join(cgroupRoot, parent, id, below, 'io.max')) ?? '').split('\n').find((l) => l.startsWith(`${device} `)) ?? ''
    const value = (key: string) => {
      const v = new RegExp(`${key}=(\\S+)`).exec(line)?.[1]
      return v && v !== 'max' ? Number(v) : 0
    }
    return { readBps: value('rbps'), writeBps: value('wbps'), readIops: value('riops'), writeIops: value('wiops') }
  }
  const value = (file: string) => {
    const text = readCgroupFile(path.join(cgroupRoot, 'blkio', parent, id, below, `blkio.throttle.${file}_device`)) ?? ''
    const match = text.split('\n').find((l) => l.startsWith(`${device} `))
    return match ? Number(match.split(' ')[1]) : 0
  }
  return { readBps: value('read_bps'), writeBps: value('write_bps'), readIops: value('read_iops'), writeIops: value('write_iops') }
}

/** Apply the unprivileged device list to an existing sandbox cgroup (v1). */
export async function restrictSandboxDevices(parent: string, id: string): Promise<void> {
  if (cgroupVersion() === 2) return
  for (const h of v1Hierarchies()) {
    if (!h.controllers.includes('devices')) continue
    const dir = path.join(h.dir, parent, id)
    await write(path.join(dir, 'devices.deny'), 'a')
    for (const rule of allowedDevices) await write(path.join(dir, 'devices.allow'), rule)
  }
}

async function rmdirTree(dir: string): Promise<void> {
  // A cgroup directory is removed with rmdir, children first; its files cannot be unlinked.
  let entries: fs.Dirent[] = []
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(path.join(dir, e.name))
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await fsp.rmdir(dir)
      return
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === 'ENOENT') return
      // EBUSY: processes are still leaving (containers being removed).
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

export async function removeSandboxCgroup(parent: string, id: string): Promise<void> {
  const dirs = cgroupVersion() === 2 ? [path.join(cgroupRoot, parent, id)] : v1Hierarchies().map((h) => path.join(h.dir, parent, id))
  await Promise.all(dirs.map((d) => rmdirTree(d)))
}

/** Sandbox ids that have a cgroup under the parent (in any hierarchy). */
export function listSandboxCgroups(parent: string): string[] {
  const tops = cgroupVersion() === 2 ? [path.join(cgroupRoot, parent)] : v1Hierarchies().map((h) => path.join(h.dir, parent))
  const ids = new Set<string>()
  for (const top of tops) {
    try {
      for (const e of fs.readdirSync(top, { withFileTypes: true })) if (e.isDirectory()) ids.add(e.name)
    } catch {
      // no parent yet
    }
  }
  return [...ids]
}

/** The effective limits of a sandbox's parent cgroup (for tests and diagnostics). */
export function readSandboxCgroupLimits(parent: string, id: string): { memoryBytes: number | null; pids: string | null; cpuQuota: string | null } {
  if (cgroupVersion() === 2) {
    const dir = path.join(cgroupRoot, parent, id)
    const mem = readCgroupFile(path.join(dir, 'memory.max'))
    return { memoryBytes: mem && mem !== 'max' ? Number(mem) : null, pids: readCgroupFile(path.join(dir, 'pids.max')), cpuQuota: readCgroupFile(path.join(dir, 'cpu.max')) }
  }
  const mem = readCgroupFile(path.join(cgroupRoot, 'memory', parent, id, 'memory.limit_in_bytes'))
  return {
    memoryBytes: mem ? Number(mem) : null,
    pids: readCgroupFile(path.join(cgroupRoot, 'pids', parent, id, 'pids.max')),
    cpuQuota: readCgroupFile(path.join(cgroupRoot, 'cpu', parent, id, 'cpu.cfs_quota_us')),
  }
}

// ---------------------------------------------------------------- processes

function pidsCgroupDir(parent: string, id: string): string {
  return cgroupVersion() === 2 ? path.join(cgroupRoot, parent, id) : path.join(cgroupRoot, 'pids', parent, id)
}

/** How many processes the sandbox's parent cgroup holds, and its limit (null: no such cgroup, or no limit). */
export function readSandboxPids(parent: string, id: string): { current: number; max: number } | null {
  const dir = pidsCgroupDir(parent, id)
  const current = Number(readCgroupFile(path.join(dir, 'pids.current')) ?? NaN)
  const max = readCgroupFile(path.join(dir, 'pids.max'))
  if (max === null || max === 'max' || !Number.isFinite(current)) return null
  return { current, max: Number(max) }
}

/** Host pids of every process in the sandbox's cgroup and below (its nodes, their inner containers). */
export function listSandboxProcesses(parent: string, id: string): number[] {
  const pids: number[] = []
  const walk = (dir: string) => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    try {
      for (const line of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.push(Number(line))
    } catch {
      // removed meanwhile
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name))
  }
  walk(pidsCgroupDir(parent, id))
  return pids
}

/**
 * What /proc says of a process, for telling a node's own daemons from the learner's processes:
 * its parent, when it started (clock ticks since boot), the binary it runs (as its own mount
 * namespace names it; '' when unreadable) and whether it is the init of its pid namespace
 * (a reaper: orphans land there). Null once it has gone.
 */
export function processInfo(pid: number): ProcessInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (in parentheses) may hold spaces and parentheses: fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const nsPid = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/)
    let exe = ''
    try {
      exe = fs.readlinkSync(`/proc/${pid}/exe`)
    } catch {
      // a kernel thread, or gone
    }
    return { pid, ppid: Number(fields[1]), startTime: Number(fields[19]), exe, namespaceInit: nsPid?.at(-1) === '1' }
  } catch {
    return null
  }
}

// ---------------------------------------------------------------- disks

export type SandboxDisk = { dir: string; mountPoint: string; bounded: boolean }

/** How every sandbox disk image is mounted (nosuid carries into the nodes' binds). */
export const LOOP_MOUNT_OPTIONS = 'loop,nodev,nosuid,noatime'

/** How much of the host's disk sandbox images may claim: the room is checked before each new one. */
export type DiskRoom = {
  /** The folder whose filesystem holds every sandbox image of this deployment (QUAI_SANDBOX_STATE_DIR). */
  stateDir: string
  /** Free space to keep beyond what the images may grow into. */
  reserveMb: number
}

/**
 * A sparse ext4 image of `sizeMb`, loop-mounted at <dir>/mnt (nodev, nosuid): every byte a
 * sandbox writes (its root's upper layer, its inner daemon's images and containers, the
 * working folder) lands there, so a disk fill stops at the bound. mkfs without journal and
 * with lazy inode tables takes a few milliseconds on a sparse file. The image is refused
 * (SandboxHostFullError) when the host's disk could not hold it once full (reserveDiskImage).
 */
export async function createLoopDisk(dir: string, sizeMb: number, room: DiskRoom): Promise<SandboxDisk> {
  const image = path.join(dir, 'disk.img')
  const mountPoint = path.join(dir, 'mnt')
  await fsp.mkdir(mountPoint, { recursive: true, mode: 0o700 })
  await fsp.chmod(dir, 0o700)
  await reserveDiskImage(image, sizeMb, room)
  await sh('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-m', '0', image])
  await sh('mount', ['-o', LOOP_MOUNT_OPTIONS, image, mountPoint])
  return { dir, mountPoint, bounded: true }
}

const MiB = 1024 * 1024

/** What sparse images on the state folder's filesystem may still claim: their size minus what they already hold. */
export async function diskImageClaims(stateDir: string): Promise<{ freeBytes: number; claimedBytes: number; images: string[] }> {
  const fsStat = await fsp.statfs(stateDir)
  const device = (await fsp.stat(stateDir)).dev
  // Images of this deployment (made, maybe not mounted yet) and any loop-attached image on
  // the same filesystem (other deployments, other namespaces): files on disk are the truth,
  // whichever server instance made them.
  const candidates = new Set<string>()
  for (const e of await fsp.readdir(stateDir, { withFileTypes: true }).catch(() => [] as fs.Dirent[])) {
    if (e.isDirectory()) candidates.add(path.join(stateDir, e.name, 'disk.img'))
  }
  for (const name of await fsp.readdir('/sys/block').catch(() => [] as string[])) {
    if (!name.startsWith('loop')) continue
    const backing = (await fsp.readFile(`/sys/block/${name}/loop/backing_file`, 'utf8').catch(() => '')).trim()
    if (backing && !backing.endsWith('(deleted)')) candidates.add(backing)
  }
  const seen = new Set<string>()
  const images: string[] = []
  let claimedBytes = 0
  for (const file of candidates) {
    const st = await fsp.stat(file).catch(() => null)
    if (!st?.isFile() || st.dev !== device || seen.has(String(st.ino))) continue
    seen.add(String(st.ino))
    images.push(file)
    claimedBytes += Math.max(0, st.size - st.blocks * 512)
  }
  return { freeBytes: fsStat.bavail * fsStat.bsize, claimedBytes, images }
}

/**
 * Make the sparse image of `sizeMb` only if the filesystem can back it once full, with every
 * other image also full and `reserveMb` to spare. The image is made first and the room
 * counted after, so that two server instances making images at once each count the other's:
 * at worst both refuse, never both fit where only one would. A refused maker waits a moment
 * and counts again without its image (the other may have withdrawn too), a few times at most.
 */
export async function reserveDiskImage(image: string, sizeMb: number, room: DiskRoom): Promise<void> {
  const sizeBytes = sizeMb * MiB
  for (let attempt = 1; ; attempt++) {
    const handle = await fsp.open(image, 'w', 0o600)
    await handle.truncate(sizeBytes)
    await handle.close()
    if ((await diskRoomLeft(room)) >= 0) return
    await fsp.rm(image, { force: true })
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200))
    const availableMb = Math.max(0, Math.floor((await diskRoomLeft(room)) / MiB))
    if (availableMb < sizeMb || attempt >= 4) {
      throw new SandboxHostFullError(
        sizeMb,
        availableMb,
        `free space on the filesystem of ${room.stateDir} (QUAI_SANDBOX_STATE_DIR), or lower QUAI_SANDBOX_DISK_MB (${sizeMb}), QUAI_SANDBOX_MAX_CONCURRENT or QUAI_SANDBOX_DISK_RESERVE_MB (${room.reserveMb})`,
      )
    }
  }
}

/**
 * What the state folder's filesystem can still give out: its free space, minus what every sandbox
 * image there may still grow into, minus the reserve (negative: already promised beyond it).
 */
export async function diskRoomLeft(room: DiskRoom): Promise<number> {
  const claims = await diskImageClaims(room.stateDir)
  return claims.freeBytes - claims.claimedBytes - room.reserveMb * MiB
}

/** The fallback when loop mounts are impossible: a plain folder, no size bound. */
/** Free and total bytes of a sandbox's own disk (null when it has none: a plain folder on the host's disk). */
export async function sandboxDiskSpace(dir: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
  const mountPoint = path.join(dir, 'mnt')
  if (!isMountPoint(mountPoint)) return null
  const stats = await fsp.statfs(mountPoint)
  return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }
}

export async function createPlainDisk(dir: string): Promise<SandboxDisk> {
  const mountPoint = path.join(dir, 'mnt')
  await fsp.mkdir(mountPoint, { recursive: true, mode: 0o700 })
  return { dir, mountPoint, bounded: false }
}

/** Unmount a sandbox disk's mounts (mnt, anything below it, and a btrfs disk's top), leaving its image. */
export async function unmountDisk(dir: string): Promise<void> {
  const mountPoint = path.join(dir, 'mnt')
  // Anything still mounted below (should not happen) goes first.
  const below = readMounts()
    .map((m) => m.mountPoint)
    .filter((m) => m.startsWith(mountPoint + '/'))
    .sort((a, b) => b.length - a.length)
  for (const m of below) await umountQuietly(m)
  await umountQuietly(mountPoint)
  // A btrfs disk's top (disk-steps.server.ts).
  await umountQuietly(path.join(dir, 'top'))
}

export async function destroyDisk(dir: string): Promise<void> {
  await unmountDisk(dir)
  await fsp.rm(dir, { recursive: true, force: true })
}

/** Whether loop-mounted disks can be made here (root, mkfs.ext4, a loop device), and if not, the fix. */
export async function canUseLoopDisks(): Promise<{ ok: boolean; reason?: string; fix?: string }> {
  if (!isRoot()) return { ok: false, reason: 'the Quai server does not run as root', fix: 'run Quai as root on the Docker host' }
  if (!fs.existsSync('/dev/loop-control')) return { ok: false, reason: '/dev/loop-control is missing (no loop device support)', fix: 'load the loop module (modprobe loop), or run Quai on a host with loop devices' }
  try {
    await sh('mkfs.ext4', ['-V'])
  } catch {
    return { ok: false, reason: 'mkfs.ext4 is missing', fix: 'apt-get install -y e2fsprogs' }
  }
  return { ok: true }
}

// ---------------------------------------------------------------- inner daemon sockets

/**
 * Bind-mount a node's inner dockerd socket to a host-only path. The socket is created in a
 * folder the learner can write (it is shared with the node); connecting there would follow
 * whatever the learner puts in its place (a symlink to the host's Docker socket, say). The
 * bind mount, made right after the daemon starts and before the learner has a shell, pins
 * the real socket's inode: later changes in the shared folder do not move it.
 */
export async function bindSocket(source: string, target: string): Promise<void> {
  const st = await fsp.lstat(source)
  if (!st.isSocket()) throw new Error(`${source} is not a unix socket`)
  await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 })
  await fsp.writeFile(target, '', { mode: 0o600 })
  await sh('mount', ['--bind', source, target])
}

export async function removeSocketDir(dir: string): Promise<void> {
  const mounted = readMounts()
    .map((m) => m.mountPoint)
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length)
  for (const m of mounted) await umountQuietly(m)
  await fsp.rm(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------- DNS

/** The host's upstream resolvers that a sandbox can use (loopback ones are not reachable from it). */
export function hostUpstreamDns(): string[] {
  for (const file of ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf']) {
    try {
      const servers = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1])
        .filter((s): s is string => Boolean(s) && !s!.startsWith('127.'))
      if (servers.length) return servers.slice(0, 3)
    } catch {
      // try the next file
    }
  }
  return []
}

// ---------------------------------------------------------------- subnets

/** A random /28 inside the pool (16 addresses: gateway .1, registry .2, nodes from .3). */
export function randomSubnet(pool: string): { subnet: string; base: number } {
  const [ip = '0.0.0.0', bitsText = '16'] = pool.split('/')
  const bits = Number(bitsText)
  const start = ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0
  const count = 2 ** (28 - bits)
  const index = Math.floor(Math.random() * count)
  const base = (start + index * 16) >>> 0
  return { subnet: `${ipToString(base)}/28`, base }
}

/** A /28 given as text ("10.213.4.16/28"), or null when it is not one. */
export function subnetBase(subnet: string): { subnet: string; base: number } | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/28$/.exec(subnet)
  if (!match) return null
  const base = match.slice(1).reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0
  return base % 16 === 0 ? { subnet, base } : null
}

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}
