// How many idle sandboxes one host holds while the lesson page stays fast.
//   npm run bench -- --only capacity   (needs a production build: npx next build)
//   QUAI_BENCH_CAPACITY_MAX=40 npm run bench -- --only capacity   (a smaller cap)
// Starts a production Quai server for the lesson page, then real single-node sandboxes one by
// one (through a quai-agent process as root, as production makes them) in a namespace of its own (quai-capacity, on a throwaway database), each left idle.
// After every batch of 10 it lets them settle (15 s: a new sandbox's daemons are busy for a few
// seconds after it answers), then measures the lesson page's p95 (100 sequential signed-in
// requests) and what the sandboxes use of the CPU meanwhile;
// it stops when that p95 exceeds 200 ms, at the cap (100), or before a sandbox that the
// machine's memory or disk could not take (checked before each), and says which.
//   idle_sandboxes_max            sandboxes held with the page's p95 ≤ 200 ms
//   idle_sandboxes_page_ms_p95    the page's p95 with that many sandboxes
// Sandbox disks are 512 MiB here (sparse, reserved in full), and 16 GiB of the disk stay free
// for the rest of the machine. Every sandbox it made is removed at the end, also on failure.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { loadContentTree } from '../../lib/content/load.server'
import { contentRoot } from '../../lib/content/root.server'
import { getDb } from '../../lib/db/client.server'
import { sandboxConfig, setSandboxConfigForTests } from '../../lib/sandbox/config.server'
import { cgroupVersion, diskImageClaims } from '../../lib/sandbox/host.server'
import { endSandbox, openSandbox } from '../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../lib/sandbox/state.server'
import { openThrowawayDatabase } from './db'
import { startBenchServer } from './pages'
import { freePort } from './ports'
import { startTestAgent } from '../split/agent-process'
import { enterBenchNamespace } from './sandbox'

export type CapacityBench = { idle_sandboxes_max: number; idle_sandboxes_page_ms_p95: number }

const namespace = 'quai-capacity'
const batch = 10
const pageRuns = 100
const settleMs = 15_000
const pageP95LimitMs = 200
const benchDiskMb = 512
const keepDiskFreeMb = 16 * 1024
const keepMemoryFreeMb = 4 * 1024

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10
}

/** CPU time (seconds) used so far by every sandbox of the namespace: their parent cgroup. */
function sandboxesCpuSeconds(): number {
  const v2 = cgroupVersion() === 2
  const file = v2 ? path.join('/sys/fs/cgroup', namespace, 'cpu.stat') : path.join('/sys/fs/cgroup/cpuacct', namespace, 'cpuacct.usage')
  try {
    const text = fs.readFileSync(file, 'utf8')
    return v2 ? Number(/^usage_usec (\d+)$/m.exec(text)?.[1] ?? NaN) / 1e6 : Number(text) / 1e9
  } catch {
    return NaN
  }
}

function availableMemoryMb(): number {
  const kb = Number(/^MemAvailable:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0)
  return kb / 1024
}

/** Why the next sandbox should not be started, or null when the machine has room for it. */
async function roomForOneMore(): Promise<string | null> {
  const memoryMb = availableMemoryMb()
  if (memoryMb < keepMemoryFreeMb) return `memory: ${Math.round(memoryMb)} MiB available, ${keepMemoryFreeMb} MiB kept for the machine`
  const config = sandboxConfig()
  fs.mkdirSync(config.stateDir, { recursive: true })
  const claims = await diskImageClaims(config.stateDir)
  const roomMb = (claims.freeBytes - claims.claimedBytes) / 1024 / 1024
  if (roomMb - benchDiskMb < keepDiskFreeMb) return `disk: ${Math.round(roomMb)} MiB left once every sandbox disk is full, ${keepDiskFreeMb} MiB kept for the machine`
  return null
}

async function pageP95(page: string, cookie: string): Promise<number> {
  for (let i = 0; i < 5; i++) await (await fetch(page, { headers: { cookie } })).text()
  const times: number[] = []
  for (let i = 0; i < pageRuns; i++) {
    const start = performance.now()
    const response = await fetch(page, { headers: { cookie } })
    await response.text()
    times.push(performance.now() - start)
    if (!response.ok) throw new Error(`${page} answered ${response.status}`)
  }
  return percentile(times, 95)
}

export async function benchCapacity(options: { max?: number; log?: (line: string) => void } = {}): Promise<CapacityBench> {
  const max = options.max ?? Number(process.env.QUAI_BENCH_CAPACITY_MAX ?? 100)
  const log = options.log ?? ((line: string) => console.log(line))
  // A server started here must not reconcile other servers' sandboxes away.
  process.env.QUAI_SANDBOX_RUNTIME ??= 'off'
  const database = await openThrowawayDatabase('capacity')
  const previous = enterBenchNamespace(namespace, { maxConcurrent: max + 1, createsPerHour: 100_000 })
  setSandboxConfigForTests({ ...sandboxConfig(), diskMb: benchDiskMb })
  // As production runs (scripts/up.sh as root): the sandboxes are made by a quai-agent process.
  const agent = process.getuid?.() === 0 ? await startTestAgent({ name: 'bench-capacity' }) : null
  if (agent) setSandboxPlacementForTests(agent.placement)
  const placement = sandboxPlacement()
  const db = await getDb()
  const users: string[] = []
  const server = await startBenchServer(await freePort())
  try {
    const course = loadContentTree(contentRoot()).courses.find((c) => c.lessons.some((l) => l.problems.length === 0))
    const lesson = course?.lessons.find((l) => l.problems.length === 0)
    if (!course || !lesson) throw new Error('no valid lesson in content/ to measure')
    const page = `${server.url}/courses/${course.slug}/${lesson.slug}`
    const signUp = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ email: `capacity-${randomUUID()}@quai.test`, password: 'bench-password', name: 'Bench' }),
    })
    const cookie = signUp.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    if (!signUp.ok || !cookie) throw new Error(`could not sign up for the benchmark: ${signUp.status}`)

    await placement.prepare()
    let held = 0
    let p95AtHeld = await pageP95(page, cookie)
    log(`no sandbox: lesson page p95 ${p95AtHeld} ms, ${Math.round(availableMemoryMb())} MiB memory available, load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`)
    let stoppedBy = `the cap (${max} sandboxes)`
    const started = performance.now()
    outer: while (held < max) {
      const target = Math.min(max, held + batch)
      while (held < target) {
        const noRoom = await roomForOneMore()
        if (noRoom) {
          stoppedBy = noRoom
          break outer
        }
        const userId = `${namespace}-${process.pid}-${held}`
        await db.user.upsert({ where: { id: userId }, create: { id: userId, name: userId, email: `${userId}@bench.quai.invalid` }, update: {} })
        users.push(userId)
        await openSandbox(userId)
        held++
      }
      await new Promise((r) => setTimeout(r, settleMs))
      const [cpuBefore, t0] = [sandboxesCpuSeconds(), performance.now()]
      const p95 = await pageP95(page, cookie)
      const sandboxesCpu = (sandboxesCpuSeconds() - cpuBefore) / ((performance.now() - t0) / 1000)
      log(`${held} idle sandboxes (${Math.round((performance.now() - started) / 1000)} s): lesson page p95 ${p95} ms, the sandboxes used ${sandboxesCpu.toFixed(2)} CPU meanwhile, ${Math.round(availableMemoryMb())} MiB memory available, load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`)
      if (p95 > pageP95LimitMs) {
        stoppedBy = `the lesson page's p95 (${p95} ms > ${pageP95LimitMs} ms at ${held} sandboxes)`
        held -= batch
        break
      }
      p95AtHeld = p95
    }
    log(`idle_sandboxes_max ${held}: stopped by ${stoppedBy}`)
    return { idle_sandboxes_max: held, idle_sandboxes_page_ms_p95: p95AtHeld }
  } finally {
    const rows = await db.sandbox.findMany({ where: { placement: placement.name, status: { in: ['starting', 'running', 'stopping'] } }, select: { id: true } })
    for (const r of rows) await endSandbox(r.id, 'stopped').catch(() => undefined)
    for (const id of await placement.listPlaced().catch(() => [] as string[])) await placement.destroy(id).catch(() => undefined)
    await db.user.deleteMany({ where: { id: { in: [...users, `${namespace}-pool`] } } })
    server.stop()
    await agent?.stop()
    setSandboxConfigForTests(previous)
    setSandboxPlacementForTests(null)
    await database.release()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchCapacity()))
  process.exit(0)
}
