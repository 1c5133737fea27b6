// Sandbox start-up and footprint on this machine's Docker engine:
//   sandbox_ready_ms_p50/p95  openSandbox() of a new single-node sandbox until its inner daemon
//                             answers (cold: disk, cgroup, network, container, dockerd)
//   pool_ready_ms_p50         openSandbox() served by the warm pool (one conditional update)
//   idle_sandbox_mb           memory of an idle sandbox (its parent cgroup: usage minus
//                             inactive file cache, as `docker stats` counts it)
// It works in a namespace of its own (quai-bench) on a throwaway migrated database (db.ts),
// and removes everything it made.
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/sandbox.ts
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { getDb } from '../../lib/db/client.server'
import { sandboxConfig, setSandboxConfigForTests, type SandboxConfig } from '../../lib/sandbox/config.server'
import { cgroupVersion } from '../../lib/sandbox/host.server'
import { fillPool } from '../../lib/sandbox/runtime.server'
import { endSandbox, openSandbox } from '../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../lib/sandbox/state.server'
import { startTestAgent } from '../split/agent-process'
import { openThrowawayDatabase } from './db'

export type SandboxBench = {
  sandbox_ready_ms_p50: number
  sandbox_ready_ms_p95: number
  pool_ready_ms_p50: number
  idle_sandbox_mb: number
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN)
}

function idleMegabytes(parent: string, id: string): number {
  if (cgroupVersion() === 2) {
    const dir = path.join('/sys/fs/cgroup', parent, id)
    const usage = Number(fs.readFileSync(path.join(dir, 'memory.current'), 'utf8'))
    const inactive = Number(/^inactive_file (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'memory.stat'), 'utf8'))?.[1] ?? 0)
    return (usage - inactive) / 1024 / 1024
  }
  const dir = path.join('/sys/fs/cgroup/memory', parent, id)
  const usage = Number(fs.readFileSync(path.join(dir, 'memory.usage_in_bytes'), 'utf8'))
  const inactive = Number(/^total_inactive_file (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'memory.stat'), 'utf8'))?.[1] ?? 0)
  return (usage - inactive) / 1024 / 1024
}

type Options = { runs?: number; poolRuns?: number; log?: (line: string) => void }

/**
 * Points lib/sandbox at a namespace of the benchmark's own (labels, state folders, cgroup
 * parent, pool user), without a pool and without keeping disks (unless `keepDays` says so);
 * returns the previous settings to restore.
 */
export function enterBenchNamespace(namespace: string, limits: { maxConcurrent: number; createsPerHour: number; keepDays?: number }): SandboxConfig {
  const previous = sandboxConfig()
  setSandboxConfigForTests({
    namespace,
    stateDir: `/var/lib/${namespace}/sandboxes`,
    keptDir: `/var/lib/${namespace}/sandboxes.kept`,
    // Benchmarks other than persistence.ts measure sandboxes that are not kept when they stop.
    keepDays: 0,
    runDir: `/run/${namespace}/sandboxes`,
    cgroupParent: namespace,
    poolUserId: `${namespace}-pool`,
    poolSize: 0,
    ...limits,
  })
  setSandboxPlacementForTests(null)
  return previous
}

/**
 * As root, sandboxes go through a real quai-agent process on the bench's namespace, as
 * production runs them (scripts/split/start.sh); the returned function stops it. Not root: this
 * process places them itself.
 */
export async function placeThroughAgent(log: (line: string) => void): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) return async () => undefined
  const agent = await startTestAgent()
  setSandboxPlacementForTests(agent.placement)
  log(`sandboxes through quai-agent on ${agent.address}`)
  return async () => {
    setSandboxPlacementForTests(null)
    await agent.stop()
  }
}

export async function benchSandbox(options: Options = {}): Promise<SandboxBench> {
  // Sandbox rows and the benchmark's users go to a database of their own, never data/quai.db.
  const database = await openThrowawayDatabase('sandbox')
  try {
    return await measure(options)
  } finally {
    await database.release()
  }
}

async function measure(options: Options): Promise<SandboxBench> {
  const runs = Math.max(3, options.runs ?? 9)
  const poolRuns = Math.max(3, options.poolRuns ?? 5)
  const log = options.log ?? ((line: string) => console.log(line))
  const namespace = 'quai-bench'
  const previous = enterBenchNamespace(namespace, { maxConcurrent: 1000, createsPerHour: 100_000 })
  const db = await getDb()
  const users = Array.from({ length: runs + poolRuns + 1 }, (_, i) => `${namespace}-${process.pid}-${i}`)
  for (const id of users) await db.user.upsert({ where: { id }, create: { id, name: id, email: `${id}@bench.quai.invalid` }, update: {} })
  const stopAgent = await placeThroughAgent(log)
  const placement = sandboxPlacement()

  const cleanup = async () => {
    const rows = await db.sandbox.findMany({ where: { placement: placement.name, status: { in: ['starting', 'running', 'stopping'] } }, select: { id: true } })
    for (const r of rows) await endSandbox(r.id, 'stopped').catch(() => undefined)
    for (const id of await placement.listPlaced().catch(() => [] as string[])) await placement.destroy(id).catch(() => undefined)
    await db.user.deleteMany({ where: { id: { in: [...users, `${namespace}-pool`] } } })
  }

  try {
    await placement.prepare()
    // One start to warm the engine's caches (image layers, registry mirror), not counted.
    const warm = await openSandbox(users[0]!)
    await endSandbox(warm.id, 'stopped')

    const cold: number[] = []
    let idle = NaN
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const view = await openSandbox(users[1 + i]!)
      cold.push(performance.now() - t0)
      if (i === runs - 1) {
        await new Promise((r) => setTimeout(r, 5000))
        idle = idleMegabytes(sandboxConfig().cgroupParent, view.id)
        log(`idle sandbox: ${idle.toFixed(1)} MB (dockerd + containerd, nothing running)`)
      }
      await endSandbox(view.id, 'stopped')
    }
    log(`cold start (${runs} runs): p50 ${percentile(cold, 50)} ms, p95 ${percentile(cold, 95)} ms, all: ${cold.map((v) => Math.round(v)).join(' ')}`)

    setSandboxConfigForTests({ ...sandboxConfig(), poolSize: 1 })
    const pooled: number[] = []
    for (let i = 0; i < poolRuns; i++) {
      await fillPool()
      const t0 = performance.now()
      const view = await openSandbox(users[1 + runs + i]!)
      pooled.push(performance.now() - t0)
      await endSandbox(view.id, 'stopped')
    }
    log(`from the warm pool (${poolRuns} runs): p50 ${percentile(pooled, 50)} ms, all: ${pooled.map((v) => Math.round(v)).join(' ')}`)

    return {
      sandbox_ready_ms_p50: percentile(cold, 50),
      sandbox_ready_ms_p95: percentile(cold, 95),
      pool_ready_ms_p50: percentile(pooled, 50),
      idle_sandbox_mb: Math.round(idle * 10) / 10,
    }
  } finally {
    await cleanup()
    await stopAgent()
    setSandboxConfigForTests(previous)
    setSandboxPlacementForTests(null)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchSandbox()
  console.log(JSON.stringify(result))
  process.exit(0)
}
