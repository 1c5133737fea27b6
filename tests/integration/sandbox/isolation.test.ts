// Isolation on the real Docker engine, measured: limits sit on a parent cgroup the learner
// cannot see nor lift; a memory hog, a disk fill and a fork bomb stay inside their sandbox
// while the host and another learner's sandbox keep answering; learners' networks are apart;
// the classic ways out of a Docker-in-Docker container are closed; a 3-node layout forms a
// Swarm with a real join token. Heavy: the steps run one after the other.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { hostEngine } from '../../../lib/docker/client.server'
import { readDaemonJson } from '../../../lib/docker/daemon-read.server'
import { execInContainer } from '../../../lib/docker/exec.server'
import { inspectContainer } from '../../../lib/docker/reads.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { readSandboxCgroupLimits } from '../../../lib/sandbox/host.server'
import { execInNode, innerDocker, nodeAddress, nodeExecTarget } from '../../../lib/sandbox/node-access.server'
import { openSandbox, stopSandbox } from '../../../lib/sandbox/sandboxes.server'
import { writeTextFile } from '../../../lib/workspace/files.server'
import { swarmLayout, type SandboxView } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, leftovers, nothingLeft, withTestNamespace } from './support'

const run = promisify(execFile)
const MEMORY_MB = 512
const PIDS = 300
const DISK_MB = 1024
withTestNamespace('iso', { memoryMb: MEMORY_MB, pids: PIDS, diskMb: DISK_MB, cpus: 1 })

const sh = (id: string, script: string, timeoutMs = 60_000, node = 'node1') => execInNode(id, node, ['bash', '-c', script], { timeoutMs })

function cgroupFile(controller: string, id: string, file: string): string {
  return fs.readFileSync(path.join('/sys/fs/cgroup', controller, sandboxConfig().cgroupParent, id, file), 'utf8').trim()
}

/** How long the host takes to run a process, and sandbox B to answer a Docker call. */
async function responsiveness(b: SandboxView) {
  const t0 = performance.now()
  await run('true')
  const hostMs = performance.now() - t0
  const t1 = performance.now()
  const r = await sh(b.id, 'docker version --format "{{.Server.Version}}"', 30_000)
  return { hostMs, otherSandboxMs: performance.now() - t1, otherSandboxOk: r.exitCode === 0 }
}

describe.sequential('sandbox isolation', () => {
  let a: SandboxView
  let b: SandboxView

  beforeAll(async () => {
    await createUser('iso-a')
    await createUser('iso-b')
    await createUser('iso-c')
    ;[a, b] = await Promise.all([openSandbox('iso-a'), openSandbox('iso-b')])
  })

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('puts the limits on a parent cgroup, out of the learner\'s view', async () => {
    const limits = readSandboxCgroupLimits(sandboxConfig().cgroupParent, a.id)
    expect(limits.memoryBytes).toBe(MEMORY_MB * 1024 * 1024)
    expect(limits.pids).toBe(String(PIDS))
    expect(limits.cpuQuota).toBe('100000')
    expect(cgroupFile('devices', a.id, 'devices.list')).not.toContain('a *:* rwm')

    // Inside, the learner's cgroup tree starts below the sandbox's: its root is all they see.
    const view = await sh(a.id, 'cat /proc/self/cgroup; ls /sys/fs/cgroup/pids; mkdir -p /tmp/cg && mount -t cgroup -o pids cgroup /tmp/cg && ls /tmp/cg && umount /tmp/cg')
    expect(view.exitCode, view.stderr).toBe(0)
    expect(view.stdout).not.toContain(a.id)
    expect(view.stdout).not.toContain(sandboxConfig().cgroupParent)
    for (const line of view.stdout.split('\n').filter((l) => /^\d+:/.test(l))) expect(line).toMatch(/:\/$/)

    // Root inside may write the limit files it sees (they are its own cgroup's)...
    const lift = await sh(
      a.id,
      'echo max > /sys/fs/cgroup/pids/pids.max; echo -1 > /sys/fs/cgroup/memory/memory.limit_in_bytes; echo "a *:* rwm" > /sys/fs/cgroup/devices/devices.allow; echo 1000000 > /sys/fs/cgroup/cpu/cpu.cfs_quota_us; cat /sys/fs/cgroup/pids/pids.max',
    )
    expect(lift.stdout.trim()).toBe('max')
    // ...and the sandbox's limits do not move.
    expect(readSandboxCgroupLimits(sandboxConfig().cgroupParent, a.id)).toEqual(limits)
  })

  it('keeps learners\' networks apart, and sandboxes off the host', async () => {
    const web = await sh(b.id, 'docker run -d --name web -p 8080:80 nginx >/dev/null && echo started', 90_000)
    expect(web.stdout.trim(), web.stderr).toBe('started')
    const bAddress = await nodeAddress(b.id, 'node1')
    const aAddress = await nodeAddress(a.id, 'node1')
    // The Quai server reaches B's published port (the port proxy's path)...
    let body = ''
    for (let i = 0; i < 50 && !body.includes('nginx'); i++) {
      body = await fetch(`http://${bAddress}:8080/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => '')
      if (!body.includes('nginx')) await new Promise((r) => setTimeout(r, 200))
    }
    expect(body).toContain('Welcome to nginx!')
    // ...A does not, neither from its node nor from a container inside it.
    // A's network is a /28: its gateway (the host's side of the bridge) is the first address.
    const octets = aAddress.split('.').map(Number)
    const gateway = `${octets.slice(0, 3).join('.')}.${(octets[3] ?? 0) - ((octets[3] ?? 0) % 16) + 1}`
    // A service of the host's own, on all its addresses.
    const server = http.createServer((_, res) => res.end('host-secret'))
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve))
    const port = (server.address() as AddressInfo).port
    const hostIp = (await run('ip', ['-4', '-o', 'route', 'get', '1.1.1.1'])).stdout.match(/src (\S+)/)?.[1] ?? '127.0.0.1'
    expect(await fetch(`http://${hostIp}:${port}/`).then((r) => r.text())).toBe('host-secret')
    const probe = await sh(
      a.id,
      [
        `curl -s -m 3 http://${gateway}:${port}/ || echo blocked-host-gateway`,
        `curl -s -m 3 http://${hostIp}:${port}/ || echo blocked-host-ip`,
        `curl -s -m 3 -o /dev/null http://169.254.169.254/ && echo reached-metadata || echo blocked-metadata`,
        `curl -s -m 3 -o /dev/null http://${bAddress}:8080/ && echo reached-b-node || echo blocked-b-node`,
        `ping -c1 -W1 ${bAddress} >/dev/null 2>&1 && echo pinged-b || echo blocked-ping-b`,
        `ping -c1 -W1 ${gateway} >/dev/null 2>&1 && echo pinged-host || echo blocked-host`,
        `docker run --rm busybox wget -q -T 3 -O /dev/null http://${bAddress}:8080/ && echo reached-b-inner || echo blocked-b-inner`,
        `curl -s -m 3 http://quai-registry:5000/v2/ && echo && echo mirror-ok`,
      ].join('; '),
      90_000,
    )
    server.close()
    expect(probe.stdout).not.toContain('host-secret')
    expect(probe.stdout).toContain('blocked-host-gateway')
    expect(probe.stdout).toContain('blocked-host-ip')
    expect(probe.stdout).toContain('blocked-metadata')
    expect(probe.stdout).toContain('blocked-b-node')
    expect(probe.stdout).toContain('blocked-ping-b')
    expect(probe.stdout).toContain('blocked-host')
    expect(probe.stdout).toContain('blocked-b-inner')
    expect(probe.stdout).toContain('mirror-ok')
  })

  it('gives the shared registry mirror read-only', async () => {
    // The first step of any push (starting a blob upload) is refused, and nothing appears.
    const push = await sh(
      a.id,
      'curl -s -o /dev/null -w "%{http_code}\\n" -X POST http://quai-registry:5000/v2/learner/evil/blobs/uploads/; curl -s -o /dev/null -w "%{http_code}\\n" http://quai-registry:5000/v2/learner/evil/tags/list; curl -s -o /dev/null -w "%{http_code}\\n" http://quai-registry:5000/v2/library/busybox/tags/list',
    )
    expect(push.stdout.trim().split('\n')).toEqual(['405', '404', '200'])
    // Attached to every sandbox network, the mirror must not route between them.
    const forwarding = await execInContainer(hostEngine(), sandboxConfig().registryContainer, ['cat', '/proc/sys/net/ipv4/ip_forward'])
    expect(forwarding.stdout.trim()).toBe('0')
  })

  it('closes the classic ways out of a Docker-in-Docker container', async () => {
    const probe = await sh(
      a.id,
      [
        'cat /proc/self/uid_map',
        '(echo core > /proc/sys/kernel/core_pattern) 2>/dev/null && echo core-pattern-written || echo core-pattern-denied',
        'mkdir -p /tmp/p && mount -t proc proc /tmp/p && { (echo core > /tmp/p/sys/kernel/core_pattern) 2>/dev/null && echo fresh-proc-written || echo fresh-proc-denied; umount /tmp/p; }',
        '(echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null && echo sysctl-written || echo sysctl-denied',
        'mount -o remount,rw /sys 2>/dev/null && echo sys-rw || echo sys-ro',
        '(echo /tmp/x > /sys/fs/cgroup/memory/release_agent) 2>/dev/null && echo release-agent-written || echo release-agent-denied',
        'mknod /tmp/vda b 253 0 2>/dev/null; (head -c1 /tmp/vda >/dev/null 2>&1) && echo disk-read || echo disk-denied',
        'ls /var/run/docker.sock /run/quai/docker.sock',
      ].join('; '),
    )
    const uidMap = probe.stdout.split('\n')[0]?.trim().split(/\s+/)
    expect(uidMap?.[0]).toBe('0')
    expect(Number(uidMap?.[1])).toBeGreaterThan(0) // root inside is not root of the host
    expect(probe.stdout).toContain('core-pattern-denied')
    expect(probe.stdout).not.toContain('fresh-proc-written')
    expect(probe.stdout).toContain('sysctl-denied')
    expect(probe.stdout).toContain('sys-ro')
    expect(probe.stdout).toContain('release-agent-denied')
    expect(probe.stdout).toContain('disk-denied')

    // The host's Docker socket is mounted in no node: the daemon the learner's socket answers for is their own.
    const target = await nodeExecTarget(a.id, 'node1')
    const mounts = (await inspectContainer(target.docker, target.containerId))?.mounts ?? []
    expect(mounts.map((m) => m.source).filter((source) => /docker\.sock$/.test(source))).toEqual([])
    const hostId = ((await readDaemonJson(hostEngine(), { path: '/info', what: 'info' })) as { ID: string }).ID
    const innerId = await sh(a.id, 'docker info --format "{{.ID}}"')
    expect(innerId.stdout.trim()).not.toBe('')
    expect(innerId.stdout.trim()).not.toBe(hostId)

    // The backend's socket stays pinned to the inner daemon even if the learner swaps the
    // shared one for a link to the host's Docker socket.
    const swap = await sh(a.id, 'rm -f /run/quai/docker.sock && ln -s /var/run/docker.sock /run/quai/docker.sock && ls -l /run/quai/docker.sock')
    expect(swap.exitCode).toBe(0)
    const info = (await readDaemonJson(await innerDocker(a.id, 'node1'), { path: '/info', what: 'info' })) as { Name: string }
    expect(info.Name).toBe('node1')
  })

  it("keeps the file panel's writes in the learner's world while the learner swaps a folder for a link", async () => {
    const target = await nodeExecTarget(a.id, 'node1')
    // A bare exec on the node container: its outer side, where Quai's own scripts live.
    const outer = (cmd: string) => execInContainer(target.docker, target.containerId, ['sh', '-c', cmd])
    const pristine = (await outer('sha256sum /usr/local/bin/quai-enter')).stdout
    const swapper = await sh(
      a.id,
      'mkdir -p /root/lab/race && cd /root/lab/race && setsid sh -c \'for i in $(seq 1 200000); do rm -rf x; mkdir x; rm -rf x; ln -s /usr/local/bin x; done\' </dev/null >/dev/null 2>&1 & echo swapping',
    )
    expect(swapper.stdout).toContain('swapping')
    const body = '#!/bin/sh\n# quai-race-marker\nexec "$@"\n'
    let written = 0
    for (let i = 0; i < 150; i++) {
      await writeTextFile(target, '/root/lab/race', 'x/quai-enter', body).then(
        () => written++,
        () => undefined,
      )
    }
    await sh(a.id, 'pkill -f "ln -s /usr/local/bin x" ; pkill -f "seq 1 200000"; true')
    expect(written).toBeGreaterThan(0)
    expect((await outer('sha256sum /usr/local/bin/quai-enter')).stdout).toBe(pristine)
    const marked = await outer('grep -rl quai-race-marker /usr/local /etc 2>/dev/null || true')
    expect(marked.stdout.trim()).toBe('')
  })

  it('stops a memory hog at the limit; the host and the other sandbox keep answering', async () => {
    const hog = await sh(a.id, 'head -c 2000M /dev/zero | tail > /dev/null; echo "exit=${PIPESTATUS[1]}"', 120_000)
    expect(hog.stdout).toMatch(/exit=137/) // SIGKILL from the OOM killer
    // The learner lifted the limit they can see (first test); the sandbox's still held.
    const peak = Number(cgroupFile('memory', a.id, 'memory.max_usage_in_bytes'))
    expect(peak).toBeGreaterThan(MEMORY_MB * 1024 * 1024 * 0.8)
    expect(peak).toBeLessThanOrEqual(MEMORY_MB * 1024 * 1024)
    const after = await responsiveness(b)
    expect(after.otherSandboxOk).toBe(true)
    // The sandbox's own daemon survived its learner's hog.
    expect((await sh(a.id, 'docker info --format "{{.Name}}"')).stdout.trim()).toBe('node1')
  })

  it('stops a disk fill at the bound, wherever the learner writes', async () => {
    const fill = await sh(
      a.id,
      `dd if=/dev/zero of=/root/lab/fill bs=1M count=${DISK_MB + 200} 2>&1 | grep -o 'No space left on device'; dd if=/dev/zero of=/var/tmp/fill bs=1M count=100 2>&1 | grep -o 'No space left on device'`,
      180_000,
    )
    // Both the working folder and the root filesystem live on the bounded disk.
    expect(fill.stdout.trim().split('\n')).toEqual(['No space left on device', 'No space left on device'])
    const image = path.join(sandboxConfig().stateDir, a.id, 'disk.img')
    const usedBytes = fs.statSync(image).blocks * 512
    expect(usedBytes).toBeLessThanOrEqual(DISK_MB * 1024 * 1024)
    // Nothing went to the host's container layer either.
    const [container] = (await readDaemonJson(hostEngine(), { path: '/containers/json', what: 'the container list', query: { all: true, size: true, filters: { label: [`quai.sandbox=${a.id}`] } } })) as unknown[]
    expect((container as { SizeRw?: number }).SizeRw ?? 0).toBeLessThan(20 * 1024 * 1024)
    const freed = await sh(a.id, 'rm -f /root/lab/fill /var/tmp/fill && echo freed')
    expect(freed.stdout.trim()).toBe('freed')
  })

  it('contains a fork bomb; the host and the other sandbox keep answering', async () => {
    // The bomb runs until its sandbox ends.
    const bomb = sh(a.id, 'bomb() { bomb | bomb & }; bomb; sleep 30', 40_000)
    await new Promise((r) => setTimeout(r, 5000))
    const pidsNow = Number(cgroupFile('pids', a.id, 'pids.current'))
    // Full, and no further: the learner's "pids.max = max" (first test) changed nothing.
    expect(pidsNow).toBeGreaterThan(PIDS * 0.9)
    expect(pidsNow).toBeLessThanOrEqual(PIDS)
    const during = await responsiveness(b)
    console.log(`during the fork bomb: host process ${Math.round(during.hostMs)} ms, other sandbox docker version ${Math.round(during.otherSandboxMs)} ms`)
    expect(during.otherSandboxOk).toBe(true)
    expect(during.hostMs).toBeLessThan(2000)
    expect(during.otherSandboxMs).toBeLessThan(10_000)
    await stopSandbox('iso-a', a.id)
    await bomb.catch(() => undefined)
    expect(await leftovers(a.id)).toEqual(nothingLeft)
  })

  it('forms a Swarm across a 3-node layout with a real join token', async () => {
    await stopSandbox('iso-b', b.id)
    const s = await openSandbox('iso-c', { layout: swarmLayout })
    expect(s.nodes.map((n) => `${n.name}:${n.role}`)).toEqual(['manager:manager', 'worker1:worker', 'worker2:worker'])
    const init = await sh(s.id, 'docker swarm init >/dev/null && docker swarm join-token -q worker', 60_000, 'manager')
    expect(init.exitCode, init.stderr).toBe(0)
    const token = init.stdout.trim()
    expect(token).toMatch(/^SWMTKN-1-/)
    for (const worker of ['worker1', 'worker2']) {
      const join = await sh(s.id, `docker swarm join --token ${token} manager:2377`, 60_000, worker)
      expect(join.stdout, join.stderr).toContain('This node joined a swarm as a worker')
    }
    const nodes = await sh(s.id, 'docker node ls --format "{{.Hostname}} {{.Status}}" | sort', 30_000, 'manager')
    expect(nodes.stdout.trim().split('\n')).toEqual(['manager Ready', 'worker1 Ready', 'worker2 Ready'])
    await sh(s.id, 'docker service create -d --name sleeper --replicas 3 busybox sleep 600', 60_000, 'manager')
    let placed = ''
    for (let i = 0; i < 90; i++) {
      placed = (await sh(s.id, 'docker service ps sleeper --filter desired-state=running --format "{{.Node}} {{.CurrentState}}"', 30_000, 'manager')).stdout
      if ((placed.match(/Running/g) ?? []).length === 3) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    expect((placed.match(/Running/g) ?? []).length).toBe(3)
    expect(new Set(placed.trim().split('\n').map((l) => l.split(' ')[0])).size).toBeGreaterThanOrEqual(2)
    const db = await getDb()
    const row = await db.sandbox.findUniqueOrThrow({ where: { id: s.id }, include: { nodes: true } })
    expect(row.nodes.every((n) => n.socketPath && n.containerId)).toBe(true)
    await stopSandbox('iso-c', s.id)
    expect(await leftovers(s.id)).toEqual(nothingLeft)
  })
})
