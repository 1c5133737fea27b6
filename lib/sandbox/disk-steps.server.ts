import 'server-only'
import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { nodeNameSchema } from '../content/slug'
import { diskRoomLeft, isMountPoint, LOOP_MOUNT_OPTIONS, reserveDiskImage, sh, umountQuietly, type DiskRoom, type SandboxDisk } from './host.server'
import { KeptDiskBrokenError, KeptDiskMissingError, keptIdPattern, SandboxHostFullError, StepsUnavailableError } from './types'

// A sandbox disk that outlives its sandbox (docs/persistence.md). On btrfs the image holds:
//   live/            a subvolume: what the sandbox sees, bound at <dir>/mnt (the nodes' folders)
//   steps/<name>     read-only snapshots of live, one per passed exercise (copy-on-write)
// and the top of the filesystem is mounted at <dir>/top, on the host only. On ext4 (no
// btrfs on the host) the image is the nodes' folders, mounted at <dir>/mnt, and has no steps.
// A kept disk is the image alone, moved (renamed: same filesystem) to <keptDir>/<diskId>/.

export type DiskFormat = 'btrfs' | 'ext4'

const IMAGE = 'disk.img'

/** Whether btrfs images can be made here (the kernel knows btrfs, btrfs-progs is installed), and if not, the fix. */
export async function canUseBtrfs(): Promise<{ ok: boolean; reason?: string; fix?: string }> {
  const known = await fsp.readFile('/proc/filesystems', 'utf8').catch(() => '')
  if (!/\bbtrfs\b/.test(known)) {
    try {
      await sh('modprobe', ['btrfs'])
    } catch {
      return { ok: false, reason: 'the kernel has no btrfs support', fix: 'modprobe btrfs, or a kernel with btrfs' }
    }
  }
  try {
    await sh('mkfs.btrfs', ['--version'])
    await sh('btrfs', ['--version'])
  } catch {
    return { ok: false, reason: 'btrfs-progs is missing', fix: 'apt-get install -y btrfs-progs' }
  }
  return { ok: true }
}

/** The format of an image file, from its superblock's magic (null: neither, or unreadable). */
export async function imageFormat(image: string): Promise<DiskFormat | null> {
  const handle = await fsp.open(image, 'r').catch(() => null)
  if (!handle) return null
  try {
    const btrfs = Buffer.alloc(8)
    await handle.read(btrfs, 0, 8, 0x10040)
    if (btrfs.toString('latin1') === '_BHRfS_M') return 'btrfs'
    const ext = Buffer.alloc(2)
    await handle.read(ext, 0, 2, 0x438)
    if (ext.readUInt16LE(0) === 0xef53) return 'ext4'
    return null
  } finally {
    await handle.close()
  }
}

/**
 * A sparse btrfs image of `sizeMb` (refused when the host could not back it: reserveDiskImage),
 * with the subvolume "live" bound at <dir>/mnt and the filesystem's top at <dir>/top.
 */
export async function createBtrfsDisk(dir: string, sizeMb: number, room: DiskRoom): Promise<SandboxDisk> {
  const image = path.join(dir, IMAGE)
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
  await fsp.chmod(dir, 0o700)
  await reserveDiskImage(image, sizeMb, room)
  // Mixed data and metadata block groups: a small filesystem fills to its bound rather than
  // running out of metadata space while data space is left.
  await sh('mkfs.btrfs', ['-q', '-f', ...(sizeMb <= 4096 ? ['--mixed'] : []), image])
  const top = path.join(dir, 'top')
  await fsp.mkdir(top, { recursive: true, mode: 0o700 })
  await sh('mount', ['-o', LOOP_MOUNT_OPTIONS, image, top])
  await sh('btrfs', ['subvolume', 'create', path.join(top, 'live')])
  await fsp.mkdir(path.join(top, 'steps'), { mode: 0o700 })
  return bindLive(dir)
}

async function bindLive(dir: string): Promise<SandboxDisk> {
  const mountPoint = path.join(dir, 'mnt')
  await fsp.mkdir(mountPoint, { recursive: true, mode: 0o700 })
  await sh('mount', ['--bind', path.join(dir, 'top', 'live'), mountPoint])
  return { dir, mountPoint, bounded: true }
}

/** Mount an image that is already in <dir> (a resumed disk): btrfs as made above, ext4 at <dir>/mnt. */
export async function mountExistingDisk(dir: string, diskId: string): Promise<SandboxDisk> {
  const image = path.join(dir, IMAGE)
  if (!fs.existsSync(image)) {
    // A disk kept in plain-folder mode is the folder itself.
    if (fs.existsSync(path.join(dir, 'mnt'))) return { dir, mountPoint: path.join(dir, 'mnt'), bounded: false }
    throw new KeptDiskMissingError(diskId)
  }
  const format = await imageFormat(image)
  if (!format) throw new KeptDiskBrokenError(diskId, 'the image has no filesystem')
  const target = path.join(dir, format === 'btrfs' ? 'top' : 'mnt')
  await fsp.mkdir(target, { recursive: true, mode: 0o700 })
  try {
    await sh('mount', ['-o', LOOP_MOUNT_OPTIONS, image, target])
  } catch (error) {
    throw new KeptDiskBrokenError(diskId, (error as Error).message)
  }
  if (format === 'ext4') return { dir, mountPoint: target, bounded: true }
  if (!fs.existsSync(path.join(target, 'live'))) {
    await umountQuietly(target)
    throw new KeptDiskBrokenError(diskId, 'the image has no "live" subvolume')
  }
  return bindLive(dir)
}

/** Whether the sandbox's disk can take steps (a btrfs image, mounted). */
export function diskHasSteps(dir: string): boolean {
  return isMountPoint(path.join(dir, 'top'))
}

function stepPath(dir: string, name: string): string {
  if (!keptIdPattern.test(name)) throw new Error(`bad step name ${JSON.stringify(name)}`)
  return path.join(dir, 'top', 'steps', name)
}

/** A read-only copy-on-write snapshot of what the sandbox sees now (the caller freezes the nodes). Replaces a step of the same name. */
export async function snapshotLive(dir: string, name: string): Promise<void> {
  if (!diskHasSteps(dir)) throw new StepsUnavailableError()
  const target = stepPath(dir, name)
  if (fs.existsSync(target)) await deleteSubvolume(target)
  await sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(dir, 'top', 'live'), target])
}

/**
 * Put a step back as what the sandbox sees (the nodes must be stopped): a writable snapshot of
 * the step becomes "live", and the former live subvolume is deleted. Each move is a rename, so
 * a crash in between leaves either the old or the new "live" (and a leftover the next restore
 * or removal clears).
 */
export async function restoreStep(dir: string, name: string): Promise<void> {
  if (!diskHasSteps(dir)) throw new StepsUnavailableError()
  const source = stepPath(dir, name)
  if (!fs.existsSync(source)) throw new Error(`step ${name} is not on this disk`)
  const top = path.join(dir, 'top')
  await umountQuietly(path.join(dir, 'mnt'))
  const incoming = path.join(top, 'live.incoming')
  const outgoing = path.join(top, 'live.outgoing')
  for (const leftover of [incoming, outgoing]) if (fs.existsSync(leftover)) await deleteSubvolume(leftover)
  await sh('btrfs', ['subvolume', 'snapshot', source, incoming])
  await fsp.rename(path.join(top, 'live'), outgoing)
  await fsp.rename(incoming, path.join(top, 'live'))
  await bindLive(dir)
  await deleteSubvolume(outgoing)
}

export async function removeStepFromDisk(dir: string, name: string): Promise<void> {
  const target = stepPath(dir, name)
  if (fs.existsSync(target)) await deleteSubvolume(target)
}

/** The steps on a mounted disk. */
export async function listStepsOnDisk(dir: string): Promise<string[]> {
  if (!diskHasSteps(dir)) return []
  return (await fsp.readdir(path.join(dir, 'top', 'steps')).catch(() => [] as string[])).filter((n) => keptIdPattern.test(n))
}

async function deleteSubvolume(target: string): Promise<void> {
  try {
    // A read-only step must be made writable before its files can go (the fallback below).
    await sh('btrfs', ['subvolume', 'delete', target])
  } catch {
    await sh('btrfs', ['property', 'set', '-ts', target, 'ro', 'false']).catch(() => undefined)
    await fsp.rm(target, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------- kept disks

/** Bytes an image really holds on the host (it is sparse). */
export async function allocatedBytes(file: string): Promise<number> {
  const st = await fsp.stat(file).catch(() => null)
  if (!st) return 0
  if (st.isFile()) return st.blocks * 512
  // A plain-folder disk: what its files hold.
  const out = await sh('du', ['-sB1', file]).catch(() => '0')
  return Number(out.split(/\s/)[0]) || 0
}

/**
 * Move an unmounted disk (image, or plain folder) from a sandbox's folder to its kept folder.
 * Idempotent: a disk already moved is left where it is. Returns the kept size in bytes.
 */
export async function moveToKept(sandboxDir: string, keptDir: string): Promise<number> {
  await fsp.mkdir(keptDir, { recursive: true, mode: 0o700 })
  for (const name of [IMAGE, 'mnt']) {
    const from = path.join(sandboxDir, name)
    const to = path.join(keptDir, name)
    if (fs.existsSync(from) && !fs.existsSync(to)) {
      if (name === 'mnt' && fs.existsSync(path.join(keptDir, IMAGE))) continue
      await fsp.rename(from, to)
    }
  }
  const kept = [IMAGE, 'mnt'].map((n) => path.join(keptDir, n)).find((p) => fs.existsSync(p))
  if (!kept) throw new Error(`no disk in ${sandboxDir} nor in ${keptDir}`)
  return allocatedBytes(kept)
}

/**
 * Move a kept disk into a new sandbox's folder, then check the host can back it once full
 * (like a new image): if not, it goes back to its kept folder and SandboxHostFullError says so.
 */
export async function moveFromKept(keptDir: string, sandboxDir: string, diskId: string, sizeMb: number, room: DiskRoom): Promise<void> {
  await fsp.mkdir(sandboxDir, { recursive: true, mode: 0o700 })
  const image = path.join(keptDir, IMAGE)
  const folder = path.join(keptDir, 'mnt')
  if (fs.existsSync(folder) && !fs.existsSync(image)) {
    await fsp.rename(folder, path.join(sandboxDir, 'mnt'))
    await fsp.rm(keptDir, { recursive: true, force: true })
    return
  }
  if (!fs.existsSync(image)) throw new KeptDiskMissingError(diskId)
  await fsp.rename(image, path.join(sandboxDir, IMAGE))
  const left = await diskRoomLeft(room)
  if (left < 0) {
    // Back into its kept folder, still there: the learner is told the host is full, not ENOENT.
    await fsp.rename(path.join(sandboxDir, IMAGE), image)
    throw new SandboxHostFullError(sizeMb, 0, `free space on the filesystem of ${room.stateDir}: fewer kept disks (QUAI_SANDBOX_KEEP_DAYS, _KEEP_HOST_MB) or move some to another host (npm run agents -- move-disks)`)
  }
  await fsp.rm(keptDir, { recursive: true, force: true })
}

/** Every kept disk of this host: its id and the bytes it holds. */
export async function listKeptDisks(keptRoot: string): Promise<{ diskId: string; bytes: number }[]> {
  const result: { diskId: string; bytes: number }[] = []
  for (const e of await fsp.readdir(keptRoot, { withFileTypes: true }).catch(() => [] as fs.Dirent[])) {
    // (A disk still arriving from another host is "<id>.incoming": not kept yet.)
    if (!e.isDirectory() || !keptIdPattern.test(e.name)) continue
    const dir = path.join(keptRoot, e.name)
    const kept = [IMAGE, 'mnt'].map((n) => path.join(dir, n)).find((p) => fs.existsSync(p))
    result.push({ diskId: e.name, bytes: kept ? await allocatedBytes(kept) : 0 })
  }
  return result
}

export async function removeKeptDisk(keptDir: string): Promise<void> {
  await fsp.rm(keptDir, { recursive: true, force: true })
}

/** A kept disk as a tar stream (sparse: holes are not sent). */
export function exportKeptDisk(keptDir: string): NodeJS.ReadableStream {
  const member = fs.existsSync(path.join(keptDir, IMAGE)) ? IMAGE : 'mnt'
  const tar = spawn('tar', ['-cS', '-f', '-', '-C', keptDir, member], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  tar.on('close', (code) => {
    if (code !== 0) tar.stdout.destroy(new Error(`tar of ${keptDir}: exit ${code}: ${stderr.trim()}`))
  })
  return tar.stdout
}

/**
 * A kept disk from a tar stream (exportKeptDisk on another host): unpacked beside, then renamed
 * into place, so a transfer cut half-way leaves nothing that looks kept. Refused when `keptDir`
 * already holds a disk.
 */
export async function importKeptDisk(keptDir: string, input: NodeJS.ReadableStream): Promise<number> {
  if (fs.existsSync(keptDir)) throw new Error(`${keptDir} already holds a kept disk`)
  const incoming = `${keptDir}.incoming`
  await fsp.rm(incoming, { recursive: true, force: true })
  await fsp.mkdir(incoming, { recursive: true, mode: 0o700 })
  try {
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', ['-xS', '-f', '-', '-C', incoming], { stdio: ['pipe', 'ignore', 'pipe'] })
      let stderr = ''
      tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      tar.on('error', reject)
      tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar into ${incoming}: exit ${code}: ${stderr.trim()}`))))
      input.on('error', (error) => {
        tar.kill()
        reject(error)
      })
      input.pipe(tar.stdin)
    })
    const names = await fsp.readdir(incoming)
    if (!names.includes(IMAGE) && !names.includes('mnt')) throw new Error('the stream held no disk')
    await fsp.rename(incoming, keptDir)
  } catch (error) {
    await fsp.rm(incoming, { recursive: true, force: true })
    throw error
  }
  return (await listKeptDisks(path.dirname(keptDir))).find((d) => d.diskId === path.basename(keptDir))?.bytes ?? 0
}

// ---------------------------------------------------------------- a kept disk's lab folders

/** Longest a read of a kept disk's lab folders may hold its mount (the web tier's mark lasts longer). */
const labArchiveTimeoutMs = 20 * 60_000

/**
 * The lab folders (`/root/lab`) of every node of a kept disk, as a .tar.gz stream (`<node>/...`
 * in the archive), read without starting anything: the image is mounted read-only at `readDir`
 * (a loop device of its own, detached on unmount), tar reads it, and the mount goes when tar
 * ends, is cut, or times out. The stream ends only once the mount is gone. The caller makes
 * sure nothing else mounts the same image meanwhile (the disk is marked "reading" in the
 * registry: a resume waits).
 */
export async function archiveKeptLab(keptDir: string, readDir: string, diskId: string): Promise<NodeJS.ReadableStream> {
  const image = path.join(keptDir, IMAGE)
  // A read cut by a crash may have left its mount.
  await umountQuietly(readDir)
  let base: string
  let mounted = false
  if (fs.existsSync(image)) {
    const format = await imageFormat(image)
    if (!format) throw new KeptDiskBrokenError(diskId, 'the image has no filesystem')
    await fsp.mkdir(readDir, { recursive: true, mode: 0o700 })
    // ro: the loop device itself is read-only; noload: ext4 replays no journal (it writes nothing).
    const options = ['ro', 'loop', 'nodev', 'nosuid', 'noexec', 'noatime', ...(format === 'ext4' ? ['noload'] : [])].join(',')
    try {
      await sh('mount', ['-o', options, image, readDir])
    } catch (error) {
      await fsp.rmdir(readDir).catch(() => undefined)
      throw new KeptDiskBrokenError(diskId, (error as Error).message)
    }
    mounted = true
    base = format === 'btrfs' ? path.join(readDir, 'live') : readDir
  } else if (fs.existsSync(path.join(keptDir, 'mnt'))) {
    base = path.join(keptDir, 'mnt')
  } else {
    throw new KeptDiskMissingError(diskId)
  }
  const release = async () => {
    if (!mounted) return
    mounted = false
    await umountQuietly(readDir)
    await fsp.rmdir(readDir).catch(() => undefined)
    await loopDetached(image)
  }
  try {
    // Each node's folders are at <base>/<node>/lab; names the learner cannot choose, checked anyway.
    const nodes: string[] = []
    for (const e of await fsp.readdir(base, { withFileTypes: true }).catch(() => [] as fs.Dirent[])) {
      if (!e.isDirectory() || !nodeNameSchema.safeParse(e.name).success) continue
      const lab = await fsp.lstat(path.join(base, e.name, 'lab')).catch(() => null)
      if (lab?.isDirectory()) nodes.push(`${e.name}/lab`)
    }
    // tar never follows the learner's links (no -h); owners as numbers, the archive's paths <node>/...
    const args = ['-cz', '-f', '-', '--numeric-owner', '--owner=0', '--group=0', '-C', base, '--transform', 's,^\\([a-z][a-z0-9-]*\\)/lab,\\1,S', ...(nodes.length > 0 ? nodes : ['--files-from', '/dev/null'])]
    const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const out = new PassThrough()
    let stderr = ''
    tar.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
    const timer = setTimeout(() => tar.kill('SIGKILL'), labArchiveTimeoutMs)
    // The reader went away: tar stops, and the mount goes with it.
    out.on('close', () => tar.kill('SIGKILL'))
    tar.stdout.pipe(out, { end: false })
    tar.on('close', (code, signal) => {
      clearTimeout(timer)
      void release().then(() => {
        if (code === 0) out.end()
        else out.destroy(new Error(`tar of the lab folders of kept disk ${diskId}: ${signal ?? `exit ${code}`}: ${stderr.trim()}`))
      })
    })
    return out
  } catch (error) {
    await release()
    throw error
  }
}

/**
 * Until no loop device is backed by `image` (the read-only one of a download is released a
 * moment after its unmount): a resume must not meet a second device holding the same filesystem.
 */
async function loopDetached(image: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const devices = (await sh('losetup', ['-n', '-O', 'NAME', '-j', image]).catch(() => '')).split('\n').map((l) => l.trim()).filter(Boolean)
    if (devices.length === 0) return
    if (attempt === 10) for (const d of devices) await sh('losetup', ['-d', d]).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 100))
  }
}
