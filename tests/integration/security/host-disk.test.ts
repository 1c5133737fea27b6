// Sandbox disks on the host: mounted nosuid (a setuid binary written there gives nothing), and
// never promised beyond what the host's disk can back. Sparse images are overcommitted unless
// Quai counts: before a new one, the free space of the state folder's filesystem, minus what
// the existing images may still grow into (whichever server instance made them: the files
// are the truth), minus a reserve, must hold it. Tested on a small tmpfs made for the test.
// Needs root, Docker and `npm run images:build`.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiErrorOf, type ApiError } from '../../../lib/http/api.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { diskImageClaims, readMounts, reserveDiskImage } from '../../../lib/sandbox/host.server'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { openSandbox, stopSandbox } from '../../../lib/sandbox/sandboxes.server'
import { setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'
import { SandboxHostFullError, SandboxStartError } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, leftovers, nothingLeft, setConfig, withTestNamespace } from '../sandbox/support'

const run = promisify(execFile)
withTestNamespace('hdisk')
const usualState = sandboxConfig().stateDir
const MiB = 1024 * 1024

async function failure(open: () => Promise<unknown>): Promise<unknown> {
  return open().then(
    () => null,
    (e: unknown) => e,
  )
}

describe.sequential('sandbox disks on the host', () => {
  // A small filesystem of its own for the state folder: 1000 MB of tmpfs.
  const small = `/tmp/quai-hdisk-${process.pid}`
  const smallState = path.join(small, 'sandboxes')

  beforeAll(async () => {
    await createUser('hdisk-a')
    await createUser('hdisk-b')
    await fsp.mkdir(small, { recursive: true })
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1000m,mode=700', 'quai-hdisk', small])
  })

  afterAll(async () => {
    // Sandboxes on the small filesystem, then anything left in the usual state folder.
    await cleanUpNamespace()
    setConfig({ stateDir: usualState })
    setSandboxPlacementForTests(null)
    await cleanUpNamespace()
    await run('umount', [small]).catch(() => undefined)
    await fsp.rm(small, { recursive: true, force: true })
  })

  it('mounts the disk nosuid: a setuid binary written there runs with its caller\'s uid', async () => {
    const view = await openSandbox('hdisk-a')
    // Root in the sandbox makes a setuid-root copy of `id` in its working folder and on its
    // daemon's disk, and runs them as an ordinary user: no uid 0.
    const probe = await execInNode(view.id, 'node1', [
      'bash',
      '-c',
      [
        'cp /usr/bin/id /root/lab/suid-id && chmod 4755 /root/lab/suid-id && ls -l /root/lab/suid-id | cut -c1-10',
        'echo "lab: $(setpriv --reuid=1000 --regid=1000 --clear-groups /root/lab/suid-id -u)"',
        'cp /usr/bin/id /var/lib/docker/suid-id && chmod 4755 /var/lib/docker/suid-id',
        'echo "docker: $(setpriv --reuid=1000 --regid=1000 --clear-groups /var/lib/docker/suid-id -u)"',
        'grep -E " /root/lab " /proc/self/mountinfo | grep -q nosuid && echo lab-mount-nosuid',
      ].join('; '),
    ])
    expect(probe.stdout).toContain('-rwsr-xr-x')
    expect(probe.stdout).toContain('lab: 1000')
    expect(probe.stdout).toContain('docker: 1000')
    expect(probe.stdout).toContain('lab-mount-nosuid')
    const mount = readMounts().find((m) => m.mountPoint === path.join(sandboxConfig().stateDir, view.id, 'mnt'))
    expect(mount?.mountOptions).toEqual(expect.arrayContaining(['nosuid', 'nodev']))
    // The learner's own Docker still works on that disk.
    const docker = await execInNode(view.id, 'node1', ['docker', 'run', '--rm', 'busybox', 'echo', 'inner-ok'], { timeoutMs: 90_000 })
    expect(docker.stdout.trim(), docker.stderr).toBe('inner-ok')
    await stopSandbox('hdisk-a', view.id)
  })

  it('refuses a sandbox whose disk the host cannot back, with a 503 in the runtime\'s words, counting images another instance made', async () => {
    setConfig({ stateDir: smallState, diskMb: 512, diskReserveMb: 64 })
    setSandboxPlacementForTests(null)
    await fsp.mkdir(smallState, { recursive: true })
    // Another server instance's sandbox: a sparse 600 MB image, nearly empty for now.
    const other = path.join(smallState, 'other-instance', 'disk.img')
    await fsp.mkdir(path.dirname(other), { recursive: true })
    await fsp.writeFile(other, '')
    await fsp.truncate(other, 600 * MiB)

    const error = await failure(() => openSandbox('hdisk-a'))
    expect(error).toBeInstanceOf(SandboxStartError)
    const full = (error as SandboxStartError).cause as SandboxHostFullError
    expect(full).toBeInstanceOf(SandboxHostFullError)
    expect(full.neededMb).toBe(512)
    // 1000 MB - 600 (the other image, once full) - 64 (reserve) - a little tmpfs use.
    expect(full.availableMb).toBeGreaterThan(300)
    expect(full.availableMb).toBeLessThan(512)
    const api = apiErrorOf(error) as ApiError
    expect(api.status).toBe(503)
    expect(api.code).toBe('host_full')
    expect(api.message).toMatch(/^This server has no disk space left for another sandbox \(one needs 512 MB, \d+ MB can still be given out\)/)
    expect(String(api.details?.fix)).toContain(smallState)
    // Nothing stays of the refused sandbox: only the other instance's image is there.
    expect(await fsp.readdir(smallState)).toEqual(['other-instance'])

    // Once the other sandbox is gone, the same request fits, on that small filesystem.
    await fsp.rm(path.dirname(other), { recursive: true })
    const view = await openSandbox('hdisk-a')
    expect(view.status).toBe('running')
    expect(fs.existsSync(path.join(smallState, view.id, 'disk.img'))).toBe(true)
    // A second one would not fit beside it (1000 - 512 - 512 < 64): the first is counted at its full size.
    const second = await failure(() => openSandbox('hdisk-b'))
    await stopSandbox('hdisk-a', view.id)
    expect(await leftovers(view.id)).toEqual(nothingLeft)
    expect(((second as SandboxStartError | null)?.cause as SandboxHostFullError | undefined)?.code).toBe('sandbox.host_full')

    // Nor does a disk bigger than the whole filesystem.
    setConfig({ diskMb: 2048 })
    const huge = await failure(() => openSandbox('hdisk-a'))
    expect(((huge as SandboxStartError).cause as SandboxHostFullError).neededMb).toBe(2048)
  })

  it('never overcommits when several makers reserve images at once', async () => {
    await fsp.mkdir(smallState, { recursive: true })
    const before = await diskImageClaims(smallState)
    const room = { stateDir: smallState, reserveMb: 64 }
    // 400 MB each: two fit in 1000 MB with 64 to spare, three do not.
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const dir = path.join(smallState, `maker-${i}`)
        await fsp.mkdir(dir, { recursive: true })
        return reserveDiskImage(path.join(dir, 'disk.img'), 400, room).then(
          () => 'made',
          (e: unknown) => (e instanceof SandboxHostFullError ? 'refused' : String(e)),
        )
      }),
    )
    const made = results.filter((r) => r === 'made').length
    expect(results.filter((r) => r !== 'made' && r !== 'refused')).toEqual([])
    expect(made).toBeGreaterThanOrEqual(1)
    expect(made).toBeLessThanOrEqual(2)
    const after = await diskImageClaims(smallState)
    expect(after.images).toHaveLength(before.images.length + made)
    expect(after.freeBytes - after.claimedBytes).toBeGreaterThanOrEqual(64 * MiB)
  })
})
