// A class starts at 9:00: 30 learners open the same lab within 10 s.
//   npm run bench -- --only class-burst   (needs a production build: npx next build; heavy: run it alone)
// Starts a production Quai server on a throwaway database, in a sandbox namespace of its own
// (quai-burst, removed at the end), signs up 30 learners, and has each open the lesson's
// sandbox through POST /api/sandboxes at its own moment within 10 s, polling
// GET /api/sandboxes/start-progress meanwhile as the panel does, then open a real terminal
// WebSocket and wait until the shell answers an echo. Ready time: from the learner's open to that
// answer.
//   class_burst_ready_ms_p95          no pool: the start queue (QUAI_SANDBOX_START_CONCURRENCY)
//   class_burst_pooled_ready_ms_p95   a class session of 30 other learners is scheduled: the
//                                     pool tick (fillPool, run here as the runtime loop runs it)
//                                     warms 30 sandboxes first, and the opens claim them. Other
//                                     learners: the first 30 have kept work for the lesson now,
//                                     which an open resumes rather than claim a warm sandbox
// 30 sandboxes exceed the default capacity settings: this run raises them (QUAI_SANDBOX_MAX_CONCURRENT,
// smaller disks) for its own server only. Prints, never asserts.
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { getDb } from '../../lib/db/client.server'
import { setSandboxConfigForTests } from '../../lib/sandbox/config.server'
import { fillPool } from '../../lib/sandbox/runtime.server'
import { setSandboxPlacementForTests } from '../../lib/sandbox/state.server'
import { decodeServerMessage, encodeAck, encodeInput, terminalPath } from '../../lib/terminal/protocol'
import { startProgressSchema } from '../../lib/workspace/api'
import { endEveryNamespaceSandbox } from '../sandboxes/end-namespace'
import { openThrowawayDatabase } from './db'
import { benchSandboxEnv, handsOnLesson, placementThroughAgent, startProductionQuai } from './quai-server'

export type ClassBurstBench = { class_burst_ready_ms_p95: number; class_burst_pooled_ready_ms_p95: number }

const namespace = 'quai-burst'
const learners = 30
const spreadMs = 10_000
const benchEnv = benchSandboxEnv(namespace)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN)
}

type Learner = { id: string; cookie: string }

async function signUp(url: string): Promise<Learner> {
  const response = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: `burst-${randomUUID().slice(0, 8)}@quai.test`, password: 'bench-password', name: 'Burst' }),
  })
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`)
  const { user } = (await response.json()) as { user: { id: string } }
  return { id: user.id, cookie: response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') }
}

/** Opens a terminal on the sandbox and resolves once the shell has answered an echo. */
async function promptAnswers(url: string, learner: Learner, sandboxId: string, lesson: { course: string; lesson: string }): Promise<void> {
  const target = new URL(terminalPath(sandboxId), url.replace(/^http/, 'ws'))
  for (const [k, v] of Object.entries({ node: 'node1', session: '0', course: lesson.course, lesson: lesson.lesson, cols: '120', rows: '40' })) target.searchParams.set(k, v)
  const ws = new WebSocket(target, { headers: { cookie: learner.cookie, origin: url }, perMessageDeflate: false })
  try {
    await new Promise<void>((resolve, reject) => {
      let tail = ''
      const timer = setTimeout(() => reject(new Error(`no echo within 120 s; last output ${JSON.stringify(tail.slice(-200))}`)), 120_000)
      ws.once('open', () => ws.send(encodeInput('echo RDY-$((40+2))\r')))
      ws.once('error', reject)
      ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal refused: ${res.statusCode}`)))
      ws.on('message', (data: Buffer) => {
        const decoded = decodeServerMessage(data)
        if (!decoded.ok || decoded.message.type !== 'output') return
        const bytes = decoded.message.data
        ws.send(encodeAck(bytes.byteLength))
        tail = (tail + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')).slice(-4096)
        if (tail.includes('RDY-42')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
  } finally {
    ws.close(1000)
  }
}

type Outcome = { readyMs: number; sawPlace: boolean; maxAhead: number; sandboxId: string | null; failure?: string }

/** One learner: open, watching their place as the panel does, then a terminal that answers. */
async function openLab(url: string, learner: Learner, lesson: { course: string; lesson: string }): Promise<Outcome> {
  const start = performance.now()
  let sandboxId: string | null = null
  let watching = true
  let sawPlace = false
  let maxAhead = 0
  const watch = (async () => {
    while (watching) {
      const answer = await fetch(`${url}/api/sandboxes/start-progress`, { headers: { cookie: learner.cookie } }).catch(() => null)
      const parsed = startProgressSchema.safeParse(await answer?.json().catch(() => null))
      if (parsed.success && (parsed.data.phase === 'queued' || parsed.data.phase === 'starting')) {
        sawPlace = true
        if (parsed.data.phase === 'queued') maxAhead = Math.max(maxAhead, parsed.data.ahead)
      }
      await sleep(1000)
    }
  })()
  try {
    const opened = await fetch(`${url}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: learner.cookie, origin: url },
      body: JSON.stringify({ courseSlug: lesson.course, lessonSlug: lesson.lesson }),
    })
    if (!opened.ok) throw new Error(`opening a sandbox failed: ${opened.status} ${await opened.text()}`)
    sandboxId = ((await opened.json()) as { id: string }).id
    watching = false
    await promptAnswers(url, learner, sandboxId, lesson)
    return { readyMs: performance.now() - start, sawPlace, maxAhead, sandboxId }
  } catch (error) {
    // Counted and reported as a failure, not left out silently.
    return { readyMs: NaN, sawPlace, maxAhead, sandboxId, failure: (error as Error).message.slice(0, 300) }
  } finally {
    watching = false
    await watch
  }
}

/** 30 learners, each at their own moment within 10 s. */
async function burst(url: string, people: Learner[], lesson: { course: string; lesson: string }): Promise<Outcome[]> {
  return Promise.all(
    people.map(async (learner, i) => {
      await sleep((i * spreadMs) / people.length)
      return openLab(url, learner, lesson)
    }),
  )
}

async function stopAll(url: string, people: Learner[], outcomes: Outcome[]) {
  await Promise.all(
    outcomes.map((o, i) => (o.sandboxId ? fetch(`${url}/api/sandboxes/${o.sandboxId}`, { method: 'DELETE', headers: { cookie: people[i]?.cookie ?? '', origin: url } }).catch(() => undefined) : null)),
  )
}

function report(label: string, outcomes: Outcome[], log: (line: string) => void, serverOutput: string): number {
  const failures = outcomes.filter((o) => o.failure)
  if (failures.length > 0) {
    log(`${label}: ${failures.length} of ${outcomes.length} learners got no prompt, first: ${failures[0]?.failure}`)
    log(`server's last error lines:\n${serverOutput.split('\n').filter((l) => /error|Error/.test(l)).slice(-8).join('\n')}`)
  }
  // A learner who got no prompt waited forever: the percentile counts them as the slowest.
  const ready = outcomes.map((o) => (o.failure ? Infinity : o.readyMs))
  const p95 = percentile(ready, 95)
  log(
    `${label}: ${outcomes.length} learners, time to a prompt that answers p50 ${percentile(ready, 50)} ms, p95 ${p95} ms, max ${percentile(ready, 100)} ms (${failures.length} without a prompt); ` +
      `${outcomes.filter((o) => o.sawPlace).length} saw their place or the start (largest place ${Math.max(...outcomes.map((o) => o.maxAhead))} ahead)`,
  )
  return p95
}

export async function benchClassBurst(options: { log?: (line: string) => void } = {}): Promise<ClassBurstBench> {
  const log = options.log ?? ((line: string) => console.log(line))
  const previousEnv = Object.fromEntries(Object.keys(benchEnv).map((k) => [k, process.env[k]]))
  Object.assign(process.env, benchEnv)
  setSandboxConfigForTests(null)
  setSandboxPlacementForTests(null)
  const database = await openThrowawayDatabase('burst')
  const cleanup: (() => Promise<unknown>)[] = [database.release, endEveryNamespaceSandbox]
  try {
    const quai = await startProductionQuai({ databaseUrl: database.url, env: benchEnv, log })
    cleanup.push(quai.stop)
    // The pool tick below (the server's runtime is off) and the clean-up make sandboxes through its agent, as the runtime would.
    if (quai.agent) {
      setSandboxPlacementForTests(placementThroughAgent(quai.agent))
      cleanup.push(endEveryNamespaceSandbox)
    }
    const lesson = handsOnLesson()
    const people: Learner[] = []
    for (let i = 0; i < learners; i++) people.push(await signUp(quai.url))
    log(`lesson ${lesson.course}/${lesson.lesson}; ${learners} learners open it within ${spreadMs / 1000} s`)

    const cold = await burst(quai.url, people, lesson)
    const coldP95 = report('no pool', cold, log, quai.output())
    await stopAll(quai.url, people, cold)

    // Another class of 30 with a session scheduled: the pool tick warms their sandboxes first.
    const classmates: Learner[] = []
    for (let i = 0; i < learners; i++) classmates.push(await signUp(quai.url))
    const db = await getDb()
    const classroom = await db.classroom.create({
      data: { name: 'Burst', joinCode: `B${randomUUID().slice(0, 9)}`, courses: { create: [{ courseSlug: lesson.course }] }, members: { create: classmates.map((p) => ({ userId: p.id })) } },
    })
    await db.classSession.create({ data: { classroomId: classroom.id, courseSlug: lesson.course, lessonSlug: lesson.lesson, startsAt: new Date(Date.now() + 60_000) } })
    const warmStart = performance.now()
    const warmed = await fillPool()
    log(`pool tick: ${warmed} sandboxes warmed in ${Math.round(performance.now() - warmStart)} ms`)
    const pooled = await burst(quai.url, classmates, lesson)
    const pooledP95 = report('scheduled session', pooled, log, quai.output())
    const fromPool = await db.sandbox.count({ where: { id: { in: pooled.flatMap((o) => (o.sandboxId ? [o.sandboxId] : [])) }, fromPool: true } })
    log(`${fromPool} of ${learners} sandboxes came from the warm pool`)
    await stopAll(quai.url, classmates, pooled)

    return { class_burst_ready_ms_p95: coldP95, class_burst_pooled_ready_ms_p95: pooledP95 }
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
    for (const [k, v] of Object.entries(previousEnv)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    setSandboxConfigForTests(null)
    setSandboxPlacementForTests(null)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchClassBurst()
  console.log(JSON.stringify(result))
  process.exit(0)
}
