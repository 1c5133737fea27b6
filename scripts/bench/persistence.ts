// Kept work (docs/persistence.md), on this machine's Docker engine, for the typical state after
// the Compose lesson: a three-service stack (nginx, redis, PostgreSQL with its data volume),
// all running.
//   cold_start_ms_p50      a new sandbox until its inner daemon answers (the ceiling resume is held to)
//   resume_ms_p50          a kept disk until the sandbox's daemon answers AND the three containers
//                          run again (target: cold start + 1,000 ms)
//   snapshot_ms_p50        a step: nodes frozen, btrfs snapshot, nodes thawed (target: 500 ms)
//   restore_step_ms_p50    back to a step: nodes stopped cleanly, snapshot swapped in, nodes
//                          started, the step's containers running (target: 3,000 ms)
//   kept_disk_mb_p50       what a kept disk holds on the host's disk (sparse image)
//   keep_ms_p50            stopping a sandbox cleanly and keeping its disk (in the background for the learner)
// Placement-level (as root, through a real quai-agent, as production runs it), in a namespace of
// its own; it removes everything it made.
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/persistence.ts
import { pathToFileURL } from 'node:url'
import { setSandboxConfigForTests } from '../../lib/sandbox/config.server'
import type { CreateSandboxSpec, PlacedSandbox, RunningContainers } from '../../lib/sandbox/placement'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../lib/sandbox/state.server'
import { enterBenchNamespace, placeThroughAgent } from './sandbox'

export type PersistenceBench = {
  cold_start_ms_p50: number
  resume_ms_p50: number
  snapshot_ms_p50: number
  restore_step_ms_p50: number
  kept_disk_mb_p50: number
  keep_ms_p50: number
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN)
}

const compose = `services:
  web:
    image: nginx:1.26
    ports: ["8080:80"]
    depends_on: [cache, db]
  cache:
    image: redis:8.0
  db:
    image: postgres:17
    environment:
      POSTGRES_PASSWORD: bench
    volumes: [data:/var/lib/postgresql/data]
volumes:
  data: {}
`

type Options = { runs?: number; log?: (line: string) => void }

export async function benchPersistence(options: Options = {}): Promise<PersistenceBench> {
  const runs = Math.max(3, options.runs ?? 5)
  const log = options.log ?? ((line: string) => console.log(line))
  const namespace = 'quai-bench-keep'
  const previous = enterBenchNamespace(namespace, { maxConcurrent: 100, createsPerHour: 100_000, keepDays: 14 })
  const stopAgent = await placeThroughAgent(log)
  const placement = sandboxPlacement()
  const made = new Set<string>()
  const kept = new Set<string>()
  let seq = 0
  const spec = (resume?: CreateSandboxSpec['resume']): CreateSandboxSpec => {
    const sandboxId = `bkeep${process.pid.toString(36)}${(seq++).toString(36)}`.slice(0, 12).padEnd(12, '0')
    made.add(sandboxId)
    return { sandboxId, userId: 'bench', pooled: false, nodes: [{ name: 'node1', role: 'standalone' }], limits: { memoryMb: 1536, cpus: 1, pids: 1024, diskMb: 4096 }, ...(resume ? { resume } : {}) }
  }
  const sh = async (sandbox: PlacedSandbox, script: string, timeoutMs = 180_000) => {
    const r = await placement.exec(sandbox.nodes[0]!, ['sh', '-ec', script], { timeoutMs })
    if (r.exitCode !== 0) throw new Error(`${script.split('\n')[0]}: exit ${r.exitCode}: ${(r.stderr || r.stdout).slice(-400)}`)
    return r.stdout.trim()
  }
  const runningCount = (sandbox: PlacedSandbox) => sh(sandbox, 'docker ps -q | wc -l')

  try {
    await placement.prepare()
    const warm = await placement.create(spec())
    await placement.destroy(warm.sandboxId)

    const cold: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const sandbox = await placement.create(spec())
      cold.push(performance.now() - t0)
      await placement.destroy(sandbox.sandboxId)
    }
    log(`cold start (${runs} runs): p50 ${percentile(cold, 50)} ms, all: ${cold.map(Math.round).join(' ')}`)

    // The Compose lesson's state: three services, a database volume with data in it.
    let sandbox = await placement.create(spec())
    if (!sandbox.steps) log('this host\'s sandbox disks take no steps (no btrfs): snapshot and restore are not measured')
    await sh(sandbox, `mkdir -p /root/lab/stack && cd /root/lab/stack && cat > compose.yaml <<'EOF'\n${compose}EOF\ndocker compose up -d --quiet-pull 2>/dev/null\nfor i in $(seq 1 120); do docker compose exec -T db pg_isready -U postgres >/dev/null 2>&1 && break; sleep 1; done\ndocker compose exec -T db psql -U postgres -c "create table t(x int); insert into t values (42)" >/dev/null`)
    log(`compose stack up: ${await runningCount(sandbox)} containers running`)

    const snapshots: number[] = []
    const restores: number[] = []
    let step: { name: string; running: RunningContainers } | null = null
    if (sandbox.steps) {
      for (let i = 0; i < runs; i++) {
        const name = `bstep${i}`.padEnd(12, '0')
        const t0 = performance.now()
        const taken = await placement.snapshot(sandbox.sandboxId, name)
        snapshots.push(performance.now() - t0)
        step = { name, running: taken.running }
      }
      log(`step (${runs} runs): p50 ${percentile(snapshots, 50)} ms, all: ${snapshots.map(Math.round).join(' ')}`)
      for (let i = 0; i < runs; i++) {
        await sh(sandbox, 'cd /root/lab/stack && docker compose down >/dev/null 2>&1')
        const t0 = performance.now()
        await placement.restoreStep(sandbox.sandboxId, step!.name, step!.running)
        restores.push(performance.now() - t0)
        const up = await runningCount(sandbox)
        if (up !== '3') log(`restore ${i}: ${up} containers running (expected 3)`)
      }
      log(`back to a step (${runs} runs): p50 ${percentile(restores, 50)} ms, all: ${restores.map(Math.round).join(' ')}`)
    }

    const resumes: number[] = []
    const keeps: number[] = []
    const sizes: number[] = []
    const diskId = `bdisk${process.pid.toString(36)}`.slice(0, 12).padEnd(12, '0')
    for (let i = 0; i < runs; i++) {
      let t0 = performance.now()
      const keptDisk = await placement.keep(sandbox.sandboxId, diskId)
      keeps.push(performance.now() - t0)
      kept.add(diskId)
      sizes.push(keptDisk.bytes / 1024 / 1024)
      t0 = performance.now()
      sandbox = await placement.create(spec({ diskId, running: keptDisk.running, subnet: sandbox.subnet ?? null, host: null }))
      resumes.push(performance.now() - t0)
      kept.delete(diskId)
      const up = await runningCount(sandbox)
      if (up !== '3') log(`resume ${i}: ${up} containers running (expected 3)`)
    }
    const rows = await sh(sandbox, 'cd /root/lab/stack && for i in $(seq 1 60); do docker compose exec -T db psql -U postgres -tAc "select x from t" 2>/dev/null && break; sleep 1; done')
    log(`the database's row after ${runs} keeps and resumes: ${rows}`)
    log(`keep (${runs} runs): p50 ${percentile(keeps, 50)} ms; kept disk: p50 ${percentile(sizes, 50)} MB`)
    log(`resume (${runs} runs): p50 ${percentile(resumes, 50)} ms (cold start ${percentile(cold, 50)} ms + ${percentile(resumes, 50) - percentile(cold, 50)} ms), all: ${resumes.map(Math.round).join(' ')}`)
    await placement.destroy(sandbox.sandboxId)

    return {
      cold_start_ms_p50: percentile(cold, 50),
      resume_ms_p50: percentile(resumes, 50),
      snapshot_ms_p50: snapshots.length ? percentile(snapshots, 50) : NaN,
      restore_step_ms_p50: restores.length ? percentile(restores, 50) : NaN,
      kept_disk_mb_p50: percentile(sizes, 50),
      keep_ms_p50: percentile(keeps, 50),
    }
  } finally {
    for (const id of made) await placement.destroy(id).catch(() => undefined)
    for (const id of kept) await placement.removeKept(id, null).catch(() => undefined)
    await stopAgent()
    setSandboxConfigForTests(previous)
    setSandboxPlacementForTests(null)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchPersistence()
  console.log(JSON.stringify(result))
  process.exit(0)
}

