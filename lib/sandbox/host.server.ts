import 'server-only'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

// Host-level pieces of a local sandbox that Docker does not provide: the parent cgroup that
// holds the limits, the size-bounded disk, the host-only socket bind mounts, and the firewall
// rule that keeps sandboxes off the host. All of it needs root on the Docker host (the Quai
// server runs there as root); docs/sandbox.md describes the fallbacks when it does not.

const run = promisify(execFile)

async function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const e = error as { stderr?: string; message?: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message || String(error)).trim()}`, { cause: error })
  }
}

function shWithInput(cmd: string, args: string[], input: string, timeoutMs = 30_000): Promise<string> {
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

type MountEntry = { mountPoint: string; fsType: string; source: string; superOptions: string[] }

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
    entries.push({ mountPoint: unescapeMount(fields[4] ?? ''), fsType, source, superOptions: superOpts.split(',') })
  }
  return entries
}

export function isMountPoint(p: string): boolean {
  const resolved = path.resolve(p)
  return readMounts().some((m) => m.mountPoint === resolved)
}

async function umountQuietly(target: string): Promise<void> {
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

export type CgroupLimits = {
  memoryBytes: number
  cpus: number
  pids: number
  /** Restrict the device list to what unprivileged containers get (not with --privileged). */
  restrictDevices: boolean
}

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

/** Whether this process can create cgroups for sandboxes (root, cgroupfs writable). */
export function canManageCgroups(): { ok: boolean; reason?: string } {
  if (!isRoot()) return { ok: false, reason: 'the Quai server does not run as root' }
  try {
    fs.accessSync(cgroupVersion() === 2 ? cgroupRoot : path.join(cgroupRoot, 'pids'), fs.constants.W_OK)
    return { ok: true }
  } catch {
    return { ok: false, reason: `${cgroupRoot} is not writable by this process` }
  }
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
    await write(path.join(dir, 'pids.max'), String(limits.pids))
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
    }
    if (has('pids')) await write(path.join(dir, 'pids.max'), String(limits.pids))
    if (has('devices') && limits.restrictDevices) {
      await write(path.join(dir, 'devices.deny'), 'a')
      for (const rule of allowedDevices) await write(path.join(dir, 'devices.allow'), rule)
    }
  }
  return rel
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
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8').trim()
    } catch {
      return null
    }
  }
  if (cgroupVersion() === 2) {
    const dir = path.join(cgroupRoot, parent, id)
    const mem = read(path.join(dir, 'memory.max'))
    return { memoryBytes: mem && mem !== 'max' ? Number(mem) : null, pids: read(path.join(dir, 'pids.max')), cpuQuota: read(path.join(dir, 'cpu.max')) }
  }
  const mem = read(path.join(cgroupRoot, 'memory', parent, id, 'memory.limit_in_bytes'))
  return {
    memoryBytes: mem ? Number(mem) : null,
    pids: read(path.join(cgroupRoot, 'pids', parent, id, 'pids.max')),
    cpuQuota: read(path.join(cgroupRoot, 'cpu', parent, id, 'cpu.cfs_quota_us')),
  }
}

// ---------------------------------------------------------------- disks

export type SandboxDisk = { dir: string; mountPoint: string; bounded: boolean }

/**
 * A sparse ext4 image of `sizeMb`, loop-mounted at <dir>/mnt: every byte a sandbox writes
 * (its root's upper layer, its inner daemon's images and containers, the working folder)
 * lands there, so a disk fill stops at the bound. mkfs without journal and with lazy
 * inode tables takes a few milliseconds on a sparse file.
 */
export async function createLoopDisk(dir: string, sizeMb: number): Promise<SandboxDisk> {
  const image = path.join(dir, 'disk.img')
  const mountPoint = path.join(dir, 'mnt')
  await fsp.mkdir(mountPoint, { recursive: true, mode: 0o700 })
  await fsp.chmod(dir, 0o700)
  const handle = await fsp.open(image, 'w', 0o600)
  await handle.truncate(sizeMb * 1024 * 1024)
  await handle.close()
  await sh('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-m', '0', image])
  await sh('mount', ['-o', 'loop,nodev,noatime', image, mountPoint])
  return { dir, mountPoint, bounded: true }
}

/** The fallback when loop mounts are impossible: a plain folder, no size bound. */
export async function createPlainDisk(dir: string): Promise<SandboxDisk> {
  const mountPoint = path.join(dir, 'mnt')
  await fsp.mkdir(mountPoint, { recursive: true, mode: 0o700 })
  return { dir, mountPoint, bounded: false }
}

export async function destroyDisk(dir: string): Promise<void> {
  const mountPoint = path.join(dir, 'mnt')
  // Anything still mounted below (should not happen) goes first.
  const below = readMounts()
    .map((m) => m.mountPoint)
    .filter((m) => m.startsWith(mountPoint + '/'))
    .sort((a, b) => b.length - a.length)
  for (const m of below) await umountQuietly(m)
  await umountQuietly(mountPoint)
  await fsp.rm(dir, { recursive: true, force: true })
}

/** Whether loop-mounted disks can be made here (root, mkfs.ext4, a loop device). */
export async function canUseLoopDisks(): Promise<{ ok: boolean; reason?: string }> {
  if (!isRoot()) return { ok: false, reason: 'the Quai server does not run as root' }
  if (!fs.existsSync('/dev/loop-control')) return { ok: false, reason: '/dev/loop-control is missing (no loop device support)' }
  try {
    await sh('mkfs.ext4', ['-V'])
  } catch {
    return { ok: false, reason: 'mkfs.ext4 is missing (apt-get install -y e2fsprogs)' }
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

// ---------------------------------------------------------------- firewall

const inputChain = 'QUAI-SANDBOX-INPUT'
const forwardChain = 'QUAI-SANDBOX-FORWARD'

export type EgressMode = 'internet' | 'none' | 'all'

/** Link-local (cloud metadata services), private and carrier-grade NAT ranges. */
const localRanges = ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']

async function iptables(...args: string[]) {
  return sh('iptables', ['-w', ...args])
}

async function ensureJump(chain: string, from: string, match: string[]) {
  try {
    await iptables('-C', from, ...match, '-j', chain)
  } catch {
    await iptables('-I', from, '1', ...match, '-j', chain)
  }
}

/**
 * Two rules for all sandboxes (their bridges are named <prefix>*), installed once:
 *  - INPUT: new connections from a sandbox to the host itself are dropped (replies to
 *    connections the host opened, like the port proxy's, pass);
 *  - FORWARD (through Docker's DOCKER-USER chain): what a sandbox may reach beyond its own
 *    network. "internet": anything but link-local (cloud metadata), private and CGNAT ranges,
 *    except the DNS servers given; "none": nothing; "all": no restriction.
 * Traffic between two sandbox bridges is dropped by Docker's own isolation chains.
 */
export async function ensureHostFirewall(prefix: string, egress: EgressMode, dnsServers: string[]): Promise<void> {
  const iface = `${prefix}+`
  const forward = [
    '-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN',
    `-o ${iface} -j RETURN`,
    ...(egress === 'all' ? [] : dnsServers.flatMap((dns) => ['udp', 'tcp'].map((proto) => `-d ${dns} -p ${proto} --dport 53 -j RETURN`))),
    ...(egress === 'none' ? ['-j DROP'] : egress === 'internet' ? localRanges.map((range) => `-d ${range} -j DROP`) : []),
  ]
  // One iptables-restore transaction: the chains are declared (so flushed) and refilled at
  // once. Built rule by rule, two servers (or test files) starting together could interleave
  // their flushes and appends, leaving a DROP ahead of the rule that lets a sandbox reach its
  // own network (and the registry mirror on it).
  const rules = [
    '*filter',
    `:${inputChain} - [0:0]`,
    `:${forwardChain} - [0:0]`,
    `-A ${inputChain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
    `-A ${inputChain} -j DROP`,
    ...forward.map((rule) => `-A ${forwardChain} ${rule}`),
    'COMMIT',
    '',
  ].join('\n')
  await shWithInput('iptables-restore', ['-w', '--noflush'], rules)
  await ensureJump(inputChain, 'INPUT', ['-i', iface])
  await iptables('-N', 'DOCKER-USER').catch(() => undefined)
  await ensureJump(forwardChain, 'DOCKER-USER', ['-i', iface])
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

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}
