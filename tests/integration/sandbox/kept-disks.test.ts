// Kept disks and steps at the placement level (docs/persistence.md), on the real Docker engine:
// a step is a copy-on-write snapshot that brings back files, images, volumes and running
// containers; a kept disk leaves nothing else on the host and resumes the same way, a Swarm
// included; a damaged or missing one is refused with KeptDiskBrokenError and leaves nothing behind.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { listStepsOnDisk } from '../../../lib/sandbox/disk-steps.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import type { LocalPlacement } from '../../../lib/sandbox/local-placement.server'
import type { CreateSandboxSpec, PlacedSandbox } from '../../../lib/sandbox/placement'
import { sandboxPlacement } from '../../../lib/sandbox/state.server'
import { KeptDiskBrokenError, KeptDiskMissingError } from '../../../lib/sandbox/types'
import { cleanUpNamespace, leftovers, nothingLeft, withTestNamespace } from './support'

withTestNamespace('kept')

const placement = () => sandboxPlacement() as LocalPlacement

function spec(sandboxId: string, resume?: CreateSandboxSpec['resume']): CreateSandboxSpec {
  return { sandboxId, userId: 'kept-user', pooled: false, nodes: [{ name: 'node1', role: 'standalone' }], limits: { memoryMb: 768, cpus: 1, pids: 512, diskMb: 1024 }, ...(resume ? { resume } : {}) }
}

async function sh(sandbox: PlacedSandbox, script: string): Promise<string> {
  const node = sandbox.nodes[0]!
  const result = await placement().exec(node, ['sh', '-ec', script], { timeoutMs: 60_000 })
  if (result.exitCode !== 0) throw new Error(`${script}: exit ${result.exitCode}: ${result.stderr || result.stdout}`)
  return result.stdout.trim()
}

const state = `
  cat /root/lab/note.txt
  cat /etc/quai-note
  docker ps --format '{{.Names}}' | sort | tr '\\n' ' '
  docker exec keeper cat /data/v
`

describe.sequential('kept disks and steps', () => {
  let first: PlacedSandbox
  let running: Record<string, string[]> = {}
  const diskId = 'keptdisk0001'

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('takes a step and puts the sandbox back to it: files, root, volumes and running containers', async () => {
    let t0 = performance.now()
    first = await placement().create(spec('keptsbx00001'))
    console.log(`cold start: ${Math.round(performance.now() - t0)} ms`)
    expect(first.steps).toBe(true)
    await sh(first, `
      echo hello > /root/lab/note.txt
      echo root-change > /etc/quai-note
      docker volume create data >/dev/null
      docker run -d --name keeper -v data:/data busybox sh -c 'echo v1 > /data/v; exec sleep 3600' >/dev/null
      docker run --name finished busybox true
      until docker exec keeper test -f /data/v; do sleep 0.1; done
    `)
    const before = await sh(first, state)
    expect(before).toBe('hello\nroot-change\nkeeper v1')

    t0 = performance.now()
    const snap = await placement().snapshot(first.sandboxId, 'stepaaaa0001')
    console.log(`snapshot: ${Math.round(performance.now() - t0)} ms`)
    running = snap.running
    expect(Object.keys(running)).toEqual(['node1'])
    expect(running.node1).toHaveLength(1)

    await sh(first, `rm /root/lab/note.txt; echo other > /etc/quai-note; docker rm -f keeper >/dev/null; docker volume rm data >/dev/null; docker run -d --name newcomer busybox sleep 3600 >/dev/null`)
    expect(await sh(first, 'ls /root/lab; docker ps --format "{{.Names}}"')).toBe('newcomer')

    t0 = performance.now()
    await placement().restoreStep(first.sandboxId, 'stepaaaa0001', running)
    console.log(`restore step: ${Math.round(performance.now() - t0)} ms`)
    // The container that ran at the step runs again; the one made later is gone with its state.
    expect(await sh(first, state)).toBe(before)
    // The daemon answers through its host-only socket again.
    const node = first.nodes[0]!
    expect(fs.existsSync(path.join(sandboxConfig().runDir, first.sandboxId, `${node.name}.sock`))).toBe(true)
  })

  it('keeps the disk and nothing else, then resumes it with everything back and running', async () => {
    const kept = await placement().keep(first.sandboxId, diskId)
    expect(kept.bytes).toBeGreaterThan(1024 * 1024)
    expect(kept.running.node1).toHaveLength(1)
    expect(await leftovers(first.sandboxId)).toEqual(nothingLeft)
    expect((await placement().listKept()).map((d) => d.diskId)).toEqual([diskId])
    // Keeping again (a retry after a crash) changes nothing and says the same.
    expect((await placement().keep(first.sandboxId, diskId)).bytes).toBe(kept.bytes)

    const t0 = performance.now()
    const second = await placement().create(spec('keptsbx00002', { diskId, running: kept.running, subnet: first.subnet ?? null, host: null }))
    console.log(`resume: ${Math.round(performance.now() - t0)} ms`)
    expect(second.subnet).toBe(first.subnet)
    expect(await sh(second, state)).toBe('hello\nroot-change\nkeeper v1')
    // The keep stopped the learner's container before its daemon: the daemon's start had no
    // network sandbox of a dead container to clean up (seconds of a resume when it had).
    const logs = spawnSync('docker', ['logs', second.nodes[0]!.containerId], { encoding: 'utf8' })
    const daemonLog = logs.stdout + logs.stderr
    expect(daemonLog).toContain('API listen on')
    expect(daemonLog).not.toContain('Removing stale sandbox')
    // The exited container is still there, stopped; the step is still on the disk.
    expect(await sh(second, 'docker ps -a --filter status=exited --format "{{.Names}}"')).toBe('finished')
    expect(await listStepsOnDisk(path.join(sandboxConfig().stateDir, second.sandboxId))).toEqual(['stepaaaa0001'])
    expect(await placement().listKept()).toEqual([])

    await placement().destroy(second.sandboxId)
    expect(await leftovers(second.sandboxId)).toEqual(nothingLeft)
  })

  it('resumes a Swarm of three nodes on their former addresses, its service running on all of them again', async () => {
    const swarmNodes = [
      { name: 'manager', role: 'manager' as const },
      { name: 'worker1', role: 'worker' as const },
      { name: 'worker2', role: 'worker' as const },
    ]
    const on = async (sandbox: PlacedSandbox, name: string, script: string) => {
      const node = sandbox.nodes.find((n) => n.name === name)!
      const r = await placement().exec(node, ['sh', '-ec', script], { timeoutMs: 90_000 })
      if (r.exitCode !== 0) throw new Error(`${name}: ${script}: exit ${r.exitCode}: ${r.stderr || r.stdout}`)
      return r.stdout.trim()
    }
    const swarm = await placement().create({ ...spec('keptswarm001'), nodes: swarmNodes })
    const ip = swarm.nodes.find((n) => n.name === 'manager')!.address!
    const token = await on(swarm, 'manager', `docker swarm init --advertise-addr ${ip} >/dev/null && docker swarm join-token -q worker`)
    for (const worker of ['worker1', 'worker2']) await on(swarm, worker, `docker swarm join --token ${token} ${ip}:2377 >/dev/null`)
    await on(swarm, 'manager', 'docker service create -d --name web --replicas 3 --placement-pref spread=node.id busybox sleep 3600 >/dev/null')
    const runningTasks = (sandbox: PlacedSandbox) =>
      on(sandbox, 'manager', `docker service ps web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' | grep -c ' Running' || true`)
    const until = async (sandbox: PlacedSandbox, what: string, test: () => Promise<boolean>) => {
      for (let i = 0; i < 120; i++) {
        if (await test()) return
        await new Promise((r) => setTimeout(r, 500))
      }
      throw new Error(`${what}: ${await on(sandbox, 'manager', 'docker node ls; docker service ps web')}`)
    }
    await until(swarm, 'three tasks running', async () => (await runningTasks(swarm)) === '3')

    const kept = await placement().keep(swarm.sandboxId, 'keptswarmdsk')
    const resumed = await placement().create({ ...spec('keptswarm002', { diskId: 'keptswarmdsk', running: kept.running, subnet: swarm.subnet ?? null, host: null }), nodes: swarmNodes })
    expect(resumed.subnet).toBe(swarm.subnet)
    expect(resumed.nodes.map((n) => n.address)).toEqual(swarm.nodes.map((n) => n.address))
    await until(resumed, 'the three nodes ready', async () => (await on(resumed, 'manager', `docker node ls --format '{{.Status}}' | grep -c Ready || true`)) === '3')
    await until(resumed, 'three tasks running again', async () => (await runningTasks(resumed)) === '3')
    await placement().destroy(resumed.sandboxId)
  })

  it('refuses a damaged or missing kept disk with KeptDiskBrokenError, leaving nothing of the new sandbox', async () => {
    const broken = path.join(sandboxConfig().keptDir, 'keptbroken01')
    fs.mkdirSync(broken, { recursive: true })
    fs.writeFileSync(path.join(broken, 'disk.img'), Buffer.alloc(1024 * 1024, 7))
    await expect(placement().create(spec('keptsbx00003', { diskId: 'keptbroken01', running: {}, subnet: null, host: null }))).rejects.toBeInstanceOf(KeptDiskBrokenError)
    expect(await leftovers('keptsbx00003')).toEqual(nothingLeft)
    // Put back where it was kept, for whoever decides to remove it.
    expect(fs.existsSync(path.join(broken, 'disk.img'))).toBe(true)

    await expect(placement().create(spec('keptsbx00004', { diskId: 'keptmissing1', running: {}, subnet: null, host: null }))).rejects.toBeInstanceOf(KeptDiskMissingError)
    expect(await leftovers('keptsbx00004')).toEqual(nothingLeft)
  })
})
