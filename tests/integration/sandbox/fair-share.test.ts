// Fair share on the real Docker engine and the host's real cgroups: all sandboxes together
// weigh less than the Quai server's process, each sandbox weighs the same, and a sandbox's
// disk I/O is throttled on its own loop device, checked with a real `dd oflag=direct`; on
// cgroup v1 an inner container started later gets the throttle on the runtime's next tick.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxConfig, type DiskIoSettings } from '../../../lib/sandbox/config.server'
import { cgroupVersion, mountedBlockDevice, processCpuWeight, readSandboxCpuWeights, readSandboxDiskIoLimits } from '../../../lib/sandbox/host.server'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { reapplySandboxLimits } from '../../../lib/sandbox/runtime.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import type { SandboxView } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, withTestNamespace } from './support'

const MiB = 1024 * 1024
const diskIo: DiskIoSettings = { readBps: 8 * MiB, writeBps: 4 * MiB, readIops: 500, writeIops: 300 }
withTestNamespace('fair', { sandboxesCpuWeight: 25, diskIo })

const sh = (id: string, script: string, timeoutMs = 60_000) => execInNode(id, 'node1', ['bash', '-c', script], { timeoutMs })

/** Bytes written to `device` by the processes of a sandbox's cgroup and all below it, as the kernel counted them. */
function bytesWrittenBelow(id: string, device: string): number {
  const { cgroupParent } = sandboxConfig()
  if (cgroupVersion() === 2) {
    const line = fs.readFileSync(path.join('/sys/fs/cgroup', cgroupParent, id, 'io.stat'), 'utf8').split('\n').find((l) => l.startsWith(`${device} `)) ?? ''
    return Number(/wbytes=(\d+)/.exec(line)?.[1] ?? 0)
  }
  const text = fs.readFileSync(path.join('/sys/fs/cgroup/blkio', cgroupParent, id, 'blkio.throttle.io_service_bytes_recursive'), 'utf8')
  return Number(new RegExp(`^${device} Write (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
}

/** Every cgroup directory below the sandbox's in the I/O hierarchy (the nodes', their `inner`). */
function cgroupsBelow(id: string): string[] {
  const top = cgroupVersion() === 2 ? path.join('/sys/fs/cgroup', sandboxConfig().cgroupParent, id) : path.join('/sys/fs/cgroup/blkio', sandboxConfig().cgroupParent, id)
  const found: string[] = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue
      found.push(path.relative(top, path.join(dir, e.name)))
      walk(path.join(dir, e.name))
    }
  }
  walk(top)
  return found
}

describe.sequential('fair share of CPU and disk', () => {
  let a: SandboxView
  let b: SandboxView
  let device: string

  beforeAll(async () => {
    await createUser('fair-a')
    await createUser('fair-b')
    ;[a, b] = await Promise.all([openSandbox('fair-a'), openSandbox('fair-b')])
    device = mountedBlockDevice(path.join(sandboxConfig().stateDir, a.id, 'mnt')) ?? ''
  })

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('gives all sandboxes together less CPU weight than the server process, and each sandbox the same', () => {
    const { cgroupParent } = sandboxConfig()
    const weightsA = readSandboxCpuWeights(cgroupParent, a.id)
    const weightsB = readSandboxCpuWeights(cgroupParent, b.id)
    // This test process sits where the Quai server does on this host (the cgroup it was started in).
    const server = processCpuWeight('self')
    expect(weightsA.sandboxes).toBe(25)
    expect(weightsA.sandboxes!).toBeLessThan(server)
    expect(weightsA.sandbox).toBe(100)
    expect(weightsB.sandbox).toBe(weightsA.sandbox)
  })

  it('limits disk bandwidth and operations on the sandbox\'s own loop device, in its cgroup and those below', () => {
    expect(device).toMatch(/^7:\d+$/) // loop devices are major 7
    const { cgroupParent } = sandboxConfig()
    expect(readSandboxDiskIoLimits(cgroupParent, a.id, device)).toEqual(diskIo)
    const below = cgroupsBelow(a.id)
    expect(below.some((dir) => dir.endsWith('/inner'))).toBe(true)
    // v2 holds the limit hierarchically on the sandbox's cgroup; v1 is flat, so each cgroup below has it.
    if (cgroupVersion() === 1) for (const dir of below) expect(readSandboxDiskIoLimits(cgroupParent, a.id, device, dir), dir).toEqual(diskIo)
    // Another sandbox's limits are on its own device, not on this one.
    const deviceB = mountedBlockDevice(path.join(sandboxConfig().stateDir, b.id, 'mnt'))
    expect(deviceB).not.toBe(device)
    expect(readSandboxDiskIoLimits(cgroupParent, b.id, deviceB!)).toEqual(diskIo)
  })

  it('throttles a real direct write in the sandbox to the configured bandwidth', async () => {
    const before = bytesWrittenBelow(a.id, device)
    const r = await sh(a.id, 'cd /root/lab && dd if=/dev/zero of=io-test bs=1M count=12 oflag=direct 2>&1 | tail -1; rm -f io-test')
    expect(r.exitCode).toBe(0)
    // The 12 MiB went through the sandbox's cgroup to its loop device, where the limit is (btrfs
    // writes a little of it, its metadata, from its own workers: at least 10 MiB is charged here).
    expect(bytesWrittenBelow(a.id, device) - before).toBeGreaterThanOrEqual(10 * MiB)
    // At 4 MiB/s, 12 MiB cannot take less than 3 s; unthrottled it takes a few hundredths of a
    // second. Only the lower bound is checked (at half, for the throttle's first slice): a slow
    // machine can only make it longer, so this cannot fail under load.
    const seconds = Number(/copied, ([\d.]+) s/.exec(r.stdout)?.[1])
    expect(seconds, r.stdout).toBeGreaterThanOrEqual(1.5)
  })

  it('throttles an inner container started after the sandbox, from the runtime tick\'s re-apply (cgroup v1)', async () => {
    if (cgroupVersion() === 2) return // io.max on the sandbox's cgroup already holds for all below it
    const { cgroupParent } = sandboxConfig()
    const before = new Set(cgroupsBelow(a.id))
    const run = await sh(a.id, 'docker run -d --name late busybox sleep 1000')
    expect(run.exitCode, run.stderr).toBe(0)
    const containerId = run.stdout.trim()
    const added = cgroupsBelow(a.id).filter((dir) => !before.has(dir))
    // The inner container's own cgroup, made by the inner daemon after the sandbox started.
    const mine = added.filter((dir) => dir.includes(containerId.slice(0, 12)))
    expect(mine.length, added.join(', ')).toBeGreaterThan(0)
    for (const dir of mine) expect(readSandboxDiskIoLimits(cgroupParent, a.id, device, dir), dir).toEqual({ readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 })

    // What the runtime's tick does (every 30 s), called here rather than waited for.
    expect(await reapplySandboxLimits()).toBeGreaterThanOrEqual(2)
    for (const dir of cgroupsBelow(a.id)) expect(readSandboxDiskIoLimits(cgroupParent, a.id, device, dir), dir).toEqual(diskIo)
    // Another sandbox's limits stay on its own device.
    const deviceB = mountedBlockDevice(path.join(sandboxConfig().stateDir, b.id, 'mnt'))!
    for (const dir of cgroupsBelow(b.id)) expect(readSandboxDiskIoLimits(cgroupParent, b.id, deviceB, dir), dir).toEqual(diskIo)
    await sh(a.id, 'docker rm -f late')
  })
})
