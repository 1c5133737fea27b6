// 500 learners at once on two web replicas (issue 15, "Load").
//   npm run bench -- --only load     (needs a production build: npx next build; heavy: run it alone)
// Two production quai-web instances on ONE database (SQLite in WAL mode; PostgreSQL when
// QUAI_BENCH_POSTGRES_URL names a server where the user may create databases: a throwaway database
// is made there and dropped), behind the round-robin balancer of scripts/balancer.ts in a process
// of its own; as root, one quai-agent (root) for both and the webs as the user quai, as
// scripts/up.sh runs them. 500 learners sign up through better-auth beforehand (not timed)
// (QUAI_BENCH_LOAD_LEARNERS changes the 500, to find what these 2 cores sustain). Then two windows,
// one per workload (QUAI_BENCH_LOAD_MODEL=class or stress runs only that one):
//   class (the load_* keys), 120 s: what 500 learners in class do. Each opens a lesson page, reads
//     it, and opens another 30-90 s later (60 s on average; the first pages spread over the first
//     minute, as classes arrive); a presence heartbeat (POST /api/lessons/<c>/<l>/progress) every
//     30 s, as LessonHeartbeat does; a quiz submission (POST /api/lessons/<c>/<l>/quiz) every 3
//     minutes, then on to the next lesson with a quiz. About 8 + 17 + 3 = 28 requests a second.
//     30 of them have a real sandbox (the first single-node hands-on lesson): they type a command
//     into their terminal over the real WebSocket every 10 s, key by key, and click the exercise's
//     check (POST /api/exercises/check, which fails: nothing was done) every 30 s.
//   stress (the load_stress_* keys), 60 s: the same learners at rates no class reaches, to show
//     where these 2 cores saturate: a page every 5-15 s, a heartbeat every 30 s, a quiz every 30 s
//     (about 83 requests a second); the 30 type every 3 s and check every 5 s (6 checks a second).
// QUAI_BENCH_LOAD_SECONDS overrides both windows' length.
//   load_p95_ms         p95 of the pages, heartbeats and quizzes started in the window
//   load_check_p95_ms   p95 of the checks
//   load_errors         non-2xx answers and network errors, checks included (none is expected)
// 2 cores run everything here: the same run first measures each request with ONE learner and no
// load (the ceiling), and prints the CPU used by each process and by the load generator itself.
// Prints, never asserts.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { getLesson, listCourses, type LessonRecord } from '../../lib/content/lessons.server'
import { lessonHref } from '../../lib/content/paths'
import { migrateDatabase } from '../../lib/db/migrate'
import { setSandboxConfigForTests } from '../../lib/sandbox/config.server'
import { setSandboxPlacementForTests } from '../../lib/sandbox/state.server'
import { decodeServerMessage, encodeAck, encodeInput, terminalPath } from '../../lib/terminal/protocol'
import { endEveryNamespaceSandbox } from '../sandboxes/end-namespace'
import { openThrowawayDatabase } from './db'
import { freePort } from './ports'
import { benchSandboxEnv, handsOnLesson, placementThroughAgent, startProcess, startQuaiServer, waitForOutput, type BenchAgent, type Proc } from './quai-server'

export type LoadBench = {
  load_learners: number | null
  load_p95_ms: number | null
  load_check_p95_ms: number | null
  load_errors: number | null
  load_page_p95_ms: number | null
  load_heartbeat_p95_ms: number | null
  load_quiz_p95_ms: number | null
  load_requests: number | null
  load_stress_p95_ms: number | null
  load_stress_check_p95_ms: number | null
  load_stress_errors: number | null
  load_stress_requests: number | null
}

const root = path.resolve(import.meta.dirname, '../..')
const namespace = 'quai-load'
const learnerCount = Number(process.env.QUAI_BENCH_LOAD_LEARNERS ?? 500)
const sandboxLearners = Math.min(30, learnerCount)
const heartbeatEveryMs = 30_000 // components/lesson/LessonHeartbeat.tsx

/** How often each learner does what (page intervals are jittered ±50 %). */
type Workload = { name: 'class' | 'stress'; seconds: number; pageEveryMs: number; quizEveryMs: number; typeEveryMs: number; checkEveryMs: number }
const workloadRates: Workload[] = [
  { name: 'class', seconds: 120, pageEveryMs: 60_000, quizEveryMs: 180_000, typeEveryMs: 10_000, checkEveryMs: 30_000 },
  { name: 'stress', seconds: 60, pageEveryMs: 10_000, quizEveryMs: 30_000, typeEveryMs: 3_000, checkEveryMs: 5_000 },
]
const workloads = workloadRates
  .map((w) => ({ ...w, seconds: Number(process.env.QUAI_BENCH_LOAD_SECONDS ?? w.seconds) }))
  .filter((w) => !process.env.QUAI_BENCH_LOAD_MODEL || w.name === process.env.QUAI_BENCH_LOAD_MODEL)
const benchEnv = benchSandboxEnv(namespace)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const percentile = (values: number[], p: number): number | null => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10
}
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').trim()

// One pool for every learner, large enough that no request waits for a connection (the balancer
// keeps client connections alive; it opens a new one to the instance for each request, as nginx
// does by default). node:http rather than fetch: the same pool, at a fraction of fetch's CPU.
const pool = new http.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024 })

type Answer = { status: number; body: string; ms: number; cookies: string[] }

function request(url: string, method: string, pathname: string, options: { cookie?: string; json?: unknown; timeoutMs?: number } = {}): Promise<Answer> {
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json))
  const target = new URL(pathname, url)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        agent: pool,
        host: target.hostname,
        port: target.port,
        method,
        path: target.pathname + target.search,
        headers: {
          origin: url,
          ...(options.cookie ? { cookie: options.cookie } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
        },
      },
      (answer) => {
        const chunks: Buffer[] = []
        answer.on('data', (c: Buffer) => chunks.push(c))
        answer.on('error', reject)
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
            cookies: ([] as string[]).concat(answer.headers['set-cookie'] ?? []),
          }),
        )
      },
    )
    const timeoutMs = options.timeoutMs ?? 60_000
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`${method} ${target.pathname}: no answer within ${timeoutMs / 1000} s`)))
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

type Learner = { id: string; cookie: string }

async function signUp(url: string, i: number): Promise<Learner> {
  const answer = await request(url, 'POST', '/api/auth/sign-up/email', {
    json: { email: `load-${i}-${randomUUID().slice(0, 8)}@quai.test`, password: 'bench-password', name: `Load ${i}` },
  })
  if (answer.status !== 200) throw new Error(`sign-up failed: ${answer.status} ${answer.body.slice(0, 300)}`)
  const { user } = JSON.parse(answer.body) as { user: { id: string } }
  return { id: user.id, cookie: answer.cookies.map((c) => c.split(';')[0]).join('; ') }
}

/** Lessons with a quiz, and a submission for each: one answer per question, not necessarily right. */
function quizLessons(): { course: string; lesson: string; answers: Record<string, string | string[]> }[] {
  const found = []
  for (const course of listCourses()) {
    for (const lesson of course.lessons) {
      if (!lesson.quiz) continue
      const answers: Record<string, string | string[]> = {}
      for (const q of lesson.quiz.questions) answers[q.id] = q.type === 'single' ? (q.choices[0]?.id ?? '') : q.type === 'multiple' ? [q.choices[0]?.id ?? ''] : 'docker'
      found.push({ course: course.slug, lesson: lesson.slug, answers })
    }
  }
  if (found.length === 0) throw new Error('no lesson with a quiz in content/')
  return found
}

type Kind = 'page' | 'heartbeat' | 'quiz' | 'check'
/** `runMs`: a check's own run as its answer says (result.durationMs), without HTTP, session, limits and storing. */
type Sample = { kind: Kind; ms: number; status: number; error?: string; runMs?: number }

/** The checks' own runs among `samples`. */
const checkRuns = (samples: Sample[]) => samples.flatMap((s) => (s.kind === 'check' && s.runMs !== undefined ? [s.runMs] : []))

function checkRunMs(kind: Kind, answer: Answer): number | undefined {
  if (kind !== 'check' || answer.status !== 200) return undefined
  return (JSON.parse(answer.body) as { result?: { durationMs?: number } }).result?.durationMs
}

/** Records each request: its time, or its failure (a network error counts as status 0). */
function recorder(samples: Sample[]) {
  return async (kind: Kind, run: () => Promise<Answer>): Promise<Answer | null> => {
    const started = performance.now()
    try {
      const answer = await run()
      samples.push({ kind, ms: answer.ms, status: answer.status, runMs: checkRunMs(kind, answer), ...(answer.status >= 300 ? { error: answer.body.slice(0, 200) } : {}) })
      return answer
    } catch (error) {
      samples.push({ kind, ms: performance.now() - started, status: 0, error: (error as Error).message })
      return null
    }
  }
}

type Lessons = ReturnType<typeof quizLessons>

/** One learner's loop until `until`: pages, heartbeats and quizzes, each at its own rate, started at a random phase. */
async function learnerLoop(url: string, learner: Learner, index: number, lessons: Lessons, workload: Workload, until: number, record: ReturnType<typeof recorder>) {
  let current = index % lessons.length
  const lesson = () => lessons[current]!
  const loop = async (everyMs: number, jitter: boolean, step: () => Promise<void>) => {
    await sleep(Math.random() * everyMs)
    while (performance.now() < until) {
      const started = performance.now()
      await step()
      const wait = jitter ? everyMs * (0.5 + Math.random()) : everyMs
      await sleep(Math.max(0, Math.min(wait - (performance.now() - started), until - performance.now())))
    }
  }
  await Promise.all([
    loop(workload.pageEveryMs, true, async () => void (await record('page', () => request(url, 'GET', lessonHref(lesson().course, lesson().lesson), { cookie: learner.cookie })))),
    loop(heartbeatEveryMs, false, async () => {
      const { course, lesson: slug } = lesson()
      await record('heartbeat', () => request(url, 'POST', `/api/lessons/${course}/${slug}/progress`, { cookie: learner.cookie, json: { action: 'heartbeat', seconds: heartbeatEveryMs / 1000, exerciseId: null } }))
    }),
    loop(workload.quizEveryMs, false, async () => {
      const { course, lesson: slug, answers } = lesson()
      await record('quiz', () => request(url, 'POST', `/api/lessons/${course}/${slug}/quiz`, { cookie: learner.cookie, json: { submissionId: randomUUID(), answers } }))
      current = (current + 1) % lessons.length
    }),
  ])
}

type Lab = { learner: Learner; sandboxId: string; ws: WebSocket; tail: string }

async function openTerminal(url: string, learner: Learner, sandboxId: string, lesson: { course: string; lesson: string }): Promise<Lab> {
  const target = new URL(terminalPath(sandboxId), url.replace(/^http/, 'ws'))
  for (const [k, v] of Object.entries({ node: 'node1', session: '0', course: lesson.course, lesson: lesson.lesson, cols: '120', rows: '40' })) target.searchParams.set(k, v)
  const ws = new WebSocket(target, { headers: { cookie: learner.cookie, origin: url }, perMessageDeflate: false })
  const lab: Lab = { learner, sandboxId, ws, tail: '' }
  ws.on('message', (data: Buffer) => {
    const decoded = decodeServerMessage(data)
    if (!decoded.ok || decoded.message.type !== 'output') return
    const bytes = decoded.message.data
    ws.send(encodeAck(bytes.byteLength))
    lab.tail = (lab.tail + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')).slice(-4096)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal refused: ${res.statusCode}`)))
  })
  return lab
}

/** Types `echo k$((1000+n))` key by key and resolves with the time from Enter to the answer (k<1000+n>, which the typed text does not contain). */
async function typeCommand(lab: Lab, n: number): Promise<number> {
  const line = `echo k$((1000+${n}))`
  for (const key of line) {
    lab.ws.send(encodeInput(key))
    await sleep(60)
  }
  const expected = `k${1000 + n}`
  lab.tail = ''
  const sent = performance.now()
  lab.ws.send(encodeInput('\r'))
  const deadline = sent + 30_000
  while (!lab.tail.includes(expected)) {
    if (performance.now() > deadline || lab.ws.readyState !== WebSocket.OPEN) return NaN
    await sleep(5)
  }
  return performance.now() - sent
}

async function labLoop(url: string, lab: Lab, check: { course: string; lesson: string; exerciseId: string }, workload: Workload, until: number, record: ReturnType<typeof recorder>, echoes: number[]) {
  const { typeEveryMs, checkEveryMs } = workload
  let n = 0
  const typing = (async () => {
    await sleep(Math.random() * typeEveryMs)
    while (performance.now() < until) {
      const started = performance.now()
      echoes.push(await typeCommand(lab, n++))
      await sleep(Math.max(0, typeEveryMs - (performance.now() - started)))
    }
  })()
  const checking = (async () => {
    await sleep(Math.random() * checkEveryMs)
    while (performance.now() < until) {
      const started = performance.now()
      await record('check', () =>
        request(url, 'POST', '/api/exercises/check', {
          cookie: lab.learner.cookie,
          json: { sandboxId: lab.sandboxId, courseSlug: check.course, lessonSlug: check.lesson, exerciseId: check.exerciseId },
        }),
      )
      await sleep(Math.max(0, Math.min(checkEveryMs - (performance.now() - started), until - performance.now())))
    }
  })()
  await Promise.all([typing, checking])
}

// CPU by process, from /proc: each started program is a process group of its own (startProcess);
// the agent shares its group with web A (scripts/split/start.sh) and is told apart by its command.
type Groups = Map<number, string>
function cpuTicks(groups: Groups): Map<string, number> {
  const totals = new Map<string, number>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const group = groups.get(Number(fields[2]))
      if (!group) continue
      const name = group === 'web A' && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('agent.ts') ? 'agent' : group
      totals.set(name, (totals.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]))
    } catch {
      // gone meanwhile
    }
  }
  return totals
}
/** CPU ticks of every process by its command name: who else used the 2 cores meanwhile. */
function ticksByPid(): Map<number, { comm: string; ticks: number }> {
  const all = new Map<number, { comm: string; ticks: number }>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      all.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) })
    } catch {
      // gone meanwhile
    }
  }
  return all
}
function topCommands(before: Map<number, { comm: string; ticks: number }>, after: Map<number, { comm: string; ticks: number }>, seconds: number): string {
  const byComm = new Map<string, number>()
  for (const [pid, { comm, ticks }] of after) byComm.set(comm, (byComm.get(comm) ?? 0) + ticks - (before.get(pid)?.ticks ?? 0))
  return [...byComm]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([comm, ticks]) => `${comm} ${Math.round((ticks / 100 / seconds) * 100) / 100}`)
    .join(', ')
}
function machineTicks(): { busy: number; total: number } {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total }
}

async function openDatabase(log: (line: string) => void): Promise<{ url: string; release: () => Promise<void> }> {
  const server = process.env.QUAI_BENCH_POSTGRES_URL
  if (!server) {
    const database = await openThrowawayDatabase('load')
    log('database: SQLite in WAL mode (one file shared by both instances; QUAI_BENCH_POSTGRES_URL for PostgreSQL)')
    return database
  }
  const { default: pg } = await import('pg')
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  const name = `quai_bench_load_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(server)
  url.pathname = `/${name}`
  const previous = process.env.DATABASE_URL
  const release = async () => {
    const globalForDb = globalThis as unknown as { quaiDb?: Promise<{ $disconnect: () => Promise<void> }> }
    const client = globalForDb.quaiDb
    delete globalForDb.quaiDb
    if (client) await (await client.catch(() => null))?.$disconnect().catch(() => undefined)
    if (previous === undefined) delete process.env.DATABASE_URL
    else process.env.DATABASE_URL = previous
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
  try {
    await migrateDatabase(url.toString())
  } catch (error) {
    await release()
    throw error
  }
  const globalForDb = globalThis as unknown as { quaiDb?: Promise<{ $disconnect: () => Promise<void> }> }
  const client = globalForDb.quaiDb
  delete globalForDb.quaiDb
  if (client) await (await client.catch(() => null))?.$disconnect().catch(() => undefined)
  process.env.DATABASE_URL = url.toString()
  log(`database: PostgreSQL (a throwaway database ${name} on QUAI_BENCH_POSTGRES_URL's server)`)
  return { url: url.toString(), release }
}

/** The second web instance beside the first one's agent: as the user quai when split, as web-instances.spec.ts starts it. */
function startSecondWeb(env: Record<string, string>, agent: BenchAgent): Proc {
  const server = ['node_modules/.bin/tsx', '--import', './scripts/node/register.mjs', 'server.ts']
  if (!agent) return startProcess(process.execPath, ['--import', 'tsx', '--import', './scripts/node/register.mjs', 'server.ts'], env)
  return startProcess('setpriv', ['--reuid=quai', '--regid=quai', '--init-groups', '--no-new-privs', ...server], {
    ...env,
    HOME: '/nonexistent',
    USER: 'quai',
    QUAI_AGENT_SOCKET: agent.socketPath,
    QUAI_AGENT_KEY_FILE: agent.keyFile,
  })
}

const nulls: LoadBench = {
  load_learners: null,
  load_p95_ms: null,
  load_check_p95_ms: null,
  load_errors: null,
  load_page_p95_ms: null,
  load_heartbeat_p95_ms: null,
  load_quiz_p95_ms: null,
  load_requests: null,
  load_stress_p95_ms: null,
  load_stress_check_p95_ms: null,
  load_stress_errors: null,
  load_stress_requests: null,
}

/** Sequential requests of one learner on an idle system: what each costs without contention. */
async function ceiling(
  url: string,
  learner: Learner,
  lab: Lab | null,
  lessons: Lessons,
  check: { course: string; lesson: string; exerciseId: string },
  log: (line: string) => void,
  webTicks: () => number,
) {
  const samples: Sample[] = []
  const record = recorder(samples)
  const first = lessons[0]!
  // The two webs' CPU per request of each kind (10 ms ticks, over the whole phase).
  const cpu: string[] = []
  const phase = async (kind: Kind, n: number, run: (i: number) => Promise<unknown>) => {
    const before = webTicks()
    for (let i = 0; i < n; i++) await run(i)
    cpu.push(`${kind} ${Math.round(((webTicks() - before) * 10) / n)} ms`)
  }
  await phase('page', 30, () => record('page', () => request(url, 'GET', lessonHref(first.course, first.lesson), { cookie: learner.cookie })))
  await phase('heartbeat', 20, () => record('heartbeat', () => request(url, 'POST', `/api/lessons/${first.course}/${first.lesson}/progress`, { cookie: learner.cookie, json: { action: 'heartbeat', seconds: 30, exerciseId: null } })))
  // One submission per quiz lesson (at most 3 attempts each): the learner's loop later moves on from its own lesson.
  const quizzes = lessons.slice(0, 20)
  await phase('quiz', quizzes.length, (i) => record('quiz', () => request(url, 'POST', `/api/lessons/${quizzes[i]!.course}/${quizzes[i]!.lesson}/quiz`, { cookie: learner.cookie, json: { submissionId: randomUUID(), answers: quizzes[i]!.answers } })))
  if (!lab) log(`ceiling: CPU of the two webs per request, one at a time: ${cpu.join(', ')}`)
  if (lab) {
    // 10 checks (the per-user limit is 30 a minute: this learner's loop checks 12 times a minute after).
    for (let i = 0; i < 10; i++) {
      await record('check', () => request(url, 'POST', '/api/exercises/check', { cookie: learner.cookie, json: { sandboxId: lab.sandboxId, courseSlug: check.course, lessonSlug: check.lesson, exerciseId: check.exerciseId } }))
    }
  }
  const of = (kind: Kind) => samples.filter((s) => s.kind === kind)
  const line = (['page', 'heartbeat', 'quiz', 'check'] as const)
    .map((kind) => `${kind} p50 ${percentile(of(kind).map((s) => s.ms), 50)} / p95 ${percentile(of(kind).map((s) => s.ms), 95)} ms (${of(kind).length})`)
    .join(', ')
  const failed = samples.filter((s) => s.status < 200 || s.status >= 300)
  const failures = failed.length ? `; ${failed.length} failed, first: ${failed[0]?.status} ${failed[0]?.error}` : ''
  if (!lab) log(`ceiling (ONE learner, nothing else, one request at a time): ${line}${failures}`)
  else {
    const runs = checkRuns(samples)
    log(`ceiling: ${of('check').length} checks of one learner, one at a time: p50 ${percentile(of('check').map((s) => s.ms), 50)} ms, the runs alone (durationMs) p50 ${percentile(runs, 50)} / max ${percentile(runs, 100)} ms${failures}`)
  }
  return { page: percentile(of('page').map((s) => s.ms), 95), all: percentile(samples.filter((s) => s.kind !== 'check').map((s) => s.ms), 95), check: percentile(of('check').map((s) => s.ms), 95) }
}

/** One window of `workload`: every learner's loop and the labs' until its end; prints and returns its figures. */
async function runWindow(options: {
  url: string
  learners: Learner[]
  labs: Lab[]
  lessons: Lessons
  check: { course: string; lesson: string; exerciseId: string }
  workload: Workload
  groups: Groups
  servers: [string, Proc][]
  ceil: { page: number | null; all: number | null }
  ceilCheck: { check: number | null }
  log: (line: string) => void
}) {
  const { url, learners, labs, lessons, check, workload, groups, servers, ceil, ceilCheck, log } = options
  const samples: Sample[] = []
  const echoes: number[] = []
  const record = recorder(samples)
  log(`load average before the window: ${loadavg()}`)
  log(`window "${workload.name}": ${learnerCount} learners for ${workload.seconds} s (a page every ~${workload.pageEveryMs / 1000} s, a heartbeat every ${heartbeatEveryMs / 1000} s, a quiz every ${workload.quizEveryMs / 1000} s; ${labs.length} of them type every ${workload.typeEveryMs / 1000} s and check every ${workload.checkEveryMs / 1000} s)`)
  const cpuBefore = cpuTicks(groups)
  const pidsBefore = ticksByPid()
  const machineBefore = machineTicks()
  const ownBefore = process.cpuUsage()
  const windowStart = performance.now()
  const until = windowStart + workload.seconds * 1000
  // The generator's event loop delay: if it grew, the generator itself would be adding latency.
  let lagMax = 0
  let lagExpected = performance.now() + 100
  const lagTimer = setInterval(() => {
    lagMax = Math.max(lagMax, performance.now() - lagExpected)
    lagExpected = performance.now() + 100
  }, 100)
  await Promise.all([
    ...learners.map((learner, i) => learnerLoop(url, learner, i, lessons, workload, until, record)),
    ...labs.map((lab) => labLoop(url, lab, check, workload, until, record, echoes)),
  ])
  clearInterval(lagTimer)
  const elapsed = (performance.now() - windowStart) / 1000
  const own = process.cpuUsage(ownBefore)
  const machineAfter = machineTicks()
  const cpuAfter = cpuTicks(groups)
  const pidsAfter = ticksByPid()
  const hz = 100 // USER_HZ
  const cores = (ticks: number) => Math.round((ticks / hz / elapsed) * 100) / 100
  const cpuLine = ['web A', 'web B', 'agent', 'balancer'].map((name) => `${name} ${cores((cpuAfter.get(name) ?? 0) - (cpuBefore.get(name) ?? 0))}`).join(', ')
  const ownCores = Math.round(((own.user + own.system) / 1e6 / elapsed) * 100) / 100
  const machineBusy = Math.round(((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * os.cpus().length * 100) / 100
  log(`CPU in the window (cores of ${os.cpus().length}): ${cpuLine}, the load generator itself ${ownCores} (event loop late by ${Math.round(lagMax)} ms at most); the whole machine ${machineBusy} busy (sandboxes and anything else included)`)
  log(`CPU in the window by command name, the whole machine (node: this run's and any other): ${topCommands(pidsBefore, pidsAfter, elapsed)}`)

  const of = (kinds: Kind[]) => samples.filter((s) => kinds.includes(s.kind))
  const learnerKinds: Kind[] = ['page', 'heartbeat', 'quiz']
  const ms = (kinds: Kind[]) => of(kinds).map((s) => s.ms)
  const failed = samples.filter((s) => s.status < 200 || s.status >= 300)
  for (const kind of ['page', 'heartbeat', 'quiz', 'check'] as const) {
    const list = of([kind])
    const bad = list.filter((s) => s.status < 200 || s.status >= 300)
    log(`${kind.padEnd(9)} ${String(list.length).padStart(6)} requests (${Math.round((list.length / elapsed) * 10) / 10}/s), p50 ${percentile(ms([kind]), 50)} ms, p95 ${percentile(ms([kind]), 95)} ms, p99 ${percentile(ms([kind]), 99)} ms, max ${percentile(ms([kind]), 100)} ms, ${bad.length} errors`)
  }
  const runs = checkRuns(samples)
  log(`check runs alone (the answer's durationMs: reading the sandbox, without HTTP, session, limits and storing): p50 ${percentile(runs, 50)} ms, p95 ${percentile(runs, 95)} ms`)
  const statuses = new Map<string, number>()
  for (const s of failed) statuses.set(`${s.kind} ${s.status}`, (statuses.get(`${s.kind} ${s.status}`) ?? 0) + 1)
  if (failed.length > 0) log(`errors: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join(', ')}; first: ${failed[0]?.kind} ${failed[0]?.status} ${failed[0]?.error}`)
  if (failed.length > 0) {
    for (const [name, proc] of servers) {
      const lines = [...new Set(proc.output().split('\n').filter((l) => /error|Error|timed out|Timeout/.test(l)).map((l) => l.trim().slice(0, 240)))]
      log(`${name}: distinct error lines (last 8):\n  ${lines.slice(-8).join('\n  ')}`)
    }
  }
  const echoOk = echoes.filter((e) => !Number.isNaN(e))
  log(`terminal: ${echoes.length} commands typed, Enter to answer p50 ${percentile(echoOk, 50)} ms, p95 ${percentile(echoOk, 95)} ms (${echoes.length - echoOk.length} unanswered)`)
  const measured = {
    p95: percentile(ms(learnerKinds), 95),
    checkP95: percentile(ms(['check']), 95),
    errors: failed.length + (echoes.length - echoOk.length),
    pageP95: percentile(ms(['page']), 95),
    heartbeatP95: percentile(ms(['heartbeat']), 95),
    quizP95: percentile(ms(['quiz']), 95),
    requests: samples.length,
  }
  log(
    `load "${workload.name}": p95 ${measured.p95} ms over ${of(learnerKinds).length} pages, heartbeats and quizzes (${Math.round((of(learnerKinds).length / elapsed) * 10) / 10}/s; target ≤ 200; ceiling with one learner: ${ceil.all} ms, the page alone ${ceil.page} ms), ` +
      `checks p95 ${measured.checkP95} ms (target ≤ 300; ceiling ${ceilCheck.check} ms), ${measured.errors} errors (target 0)`,
  )
  return measured
}

export async function benchLoad(options: { log?: (line: string) => void } = {}): Promise<LoadBench> {
  const log = options.log ?? ((line: string) => console.log(line))
  log(`load average at start: ${loadavg()}`)
  if (!fs.existsSync(path.join(root, '.next/BUILD_ID'))) {
    log('load: no production build (.next/BUILD_ID): run `npx next build` first, so the load figures are null')
    return nulls
  }
  const previousEnv = Object.fromEntries(Object.keys(benchEnv).map((k) => [k, process.env[k]]))
  Object.assign(process.env, benchEnv)
  setSandboxConfigForTests(null)
  setSandboxPlacementForTests(null)
  const cleanup: (() => Promise<unknown>)[] = []
  const labs: Lab[] = []
  const servers: [string, Proc][] = []
  try {
    const database = await openDatabase(log)
    cleanup.push(database.release, endEveryNamespaceSandbox)

    // The balancer first, so that both instances know Quai's address (the origin they check).
    const [portA, portB] = [await freePort(), await freePort()]
    const balancer = startProcess(process.execPath, ['--import', 'tsx', 'scripts/bench/balancer-main.ts', String(portA), String(portB)], {})
    cleanup.push(balancer.stop)
    await waitForOutput(balancer, 'balancer on port', 30_000, 'the balancer')
    const url = `http://127.0.0.1:${/balancer on port (\d+)/.exec(balancer.output())![1]}`
    const env = (port: number) => ({
      ...benchEnv,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      QUAI_URL: url,
      DATABASE_URL: database.url,
      QUAI_AUTH_RATE_LIMIT: 'off',
      QUAI_SANDBOX_RUNTIME: 'off',
      NEXT_TELEMETRY_DISABLED: '1',
    })
    // One after the other: the first migrates (here: finds it migrated) and hands the SQLite file to quai.
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-bench-load-'))
    cleanup.push(async () => fs.rmSync(stateDir, { recursive: true, force: true }))
    const first = startQuaiServer(env(portA), stateDir)
    cleanup.push(first.proc.stop)
    servers.push(['web A (and the agent)', first.proc])
    await waitForOutput(first.proc, 'Quai is ready on', 120_000, 'web A')
    const second = startSecondWeb(env(portB), first.agent)
    cleanup.push(second.stop)
    servers.push(['web B', second])
    await waitForOutput(second, 'Quai is ready on', 120_000, 'web B')
    log(`two web instances (ports ${portA}, ${portB}${first.agent ? ', each as the user quai, one quai-agent as root' : ', one process each (not root: no agent)'}) behind a round-robin balancer at ${url}`)
    if (first.agent) {
      setSandboxPlacementForTests(placementThroughAgent(first.agent))
      cleanup.push(endEveryNamespaceSandbox)
    }

    const lessons = quizLessons()
    const hands = handsOnLesson()
    const handsRecord: LessonRecord | null = getLesson(hands.course, hands.lesson)
    const exerciseId = handsRecord?.exercises[0]?.id
    if (!exerciseId) throw new Error(`the hands-on lesson ${hands.course}/${hands.lesson} has no exercise`)
    const check = { ...hands, exerciseId }

    // Accounts, not timed: 8 sign-ups at a time (each hashes a password).
    const signUpStart = performance.now()
    const learners: Learner[] = new Array(learnerCount)
    let nextSignUp = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextSignUp < learnerCount) {
          const i = nextSignUp++
          learners[i] = await signUp(url, i)
        }
      }),
    )
    log(`${learnerCount} learners signed up in ${Math.round((performance.now() - signUpStart) / 1000)} s (not timed)`)

    // 30 sandboxes, opened as the lab panel does, and a terminal on each.
    const labStart = performance.now()
    const opened = await Promise.all(
      learners.slice(0, sandboxLearners).map(async (learner) => {
        const answer = await request(url, 'POST', '/api/sandboxes', { cookie: learner.cookie, json: { courseSlug: hands.course, lessonSlug: hands.lesson }, timeoutMs: 600_000 })
        if (answer.status !== 200 && answer.status !== 201) throw new Error(`opening a sandbox failed: ${answer.status} ${answer.body.slice(0, 300)}`)
        return { learner, sandboxId: (JSON.parse(answer.body) as { id: string }).id }
      }),
    )
    cleanup.push(() => Promise.all(opened.map((o) => request(url, 'DELETE', `/api/sandboxes/${o.sandboxId}`, { cookie: o.learner.cookie }).catch(() => undefined))))
    for (const o of opened) labs.push(await openTerminal(url, o.learner, o.sandboxId, hands))
    cleanup.push(async () => labs.forEach((lab) => lab.ws.close(1000)))
    const firstEcho = await Promise.all(labs.map((lab, i) => typeCommand(lab, 900 + i)))
    if (firstEcho.some((ms) => Number.isNaN(ms))) throw new Error(`${firstEcho.filter((ms) => Number.isNaN(ms)).length} terminals did not answer`)
    log(`${labs.length} sandboxes of ${hands.course}/${hands.lesson} open with a terminal that answers, in ${Math.round((performance.now() - labStart) / 1000)} s (not timed); their check: #${exerciseId}`)

    // Warm both instances (each lesson's first render compiles it), then the ceiling.
    for (const l of lessons) for (let i = 0; i < 2; i++) await request(url, 'GET', lessonHref(l.course, l.lesson), { cookie: learners[0]!.cookie })
    await request(url, 'GET', lessonHref(hands.course, hands.lesson), { cookie: learners[0]!.cookie })
    // The sandboxes' own start (30 inner Docker daemons) settles first.
    await sleep(15_000)
    const ceilingLearner = await signUp(url, learnerCount)
    const ceilingMachine = machineTicks()
    const groups: Groups = new Map()
    if (balancer.child.pid) groups.set(balancer.child.pid, 'balancer')
    if (first.proc.child.pid) groups.set(first.proc.child.pid, 'web A')
    if (second.child.pid) groups.set(second.child.pid, 'web B')
    const webTicks = () => {
      const ticks = cpuTicks(groups)
      return (ticks.get('web A') ?? 0) + (ticks.get('web B') ?? 0)
    }
    const ceil = await ceiling(url, ceilingLearner, null, lessons, check, log, webTicks)
    const ceilCheck = await ceiling(url, learners[0]!, labs[0] ?? null, lessons, check, log, webTicks)
    const ceilingMachineAfter = machineTicks()
    const ceilingBusy = Math.round(((ceilingMachineAfter.busy - ceilingMachine.busy) / (ceilingMachineAfter.total - ceilingMachine.total)) * os.cpus().length * 100) / 100
    log(`ceiling: check p95 ${ceilCheck.check} ms with one learner checking, nothing else of this run; meanwhile the machine was ${ceilingBusy} of ${os.cpus().length} cores busy (other work on it included)`)

    const result: LoadBench = { ...nulls, load_learners: learnerCount }
    for (const workload of workloads) {
      const measured = await runWindow({ url, learners, labs, lessons, check, workload, groups, servers, ceil, ceilCheck, log })
      if (workload.name === 'class') {
        Object.assign(result, {
          load_p95_ms: measured.p95,
          load_check_p95_ms: measured.checkP95,
          load_errors: measured.errors,
          load_page_p95_ms: measured.pageP95,
          load_heartbeat_p95_ms: measured.heartbeatP95,
          load_quiz_p95_ms: measured.quizP95,
          load_requests: measured.requests,
        })
      } else {
        Object.assign(result, { load_stress_p95_ms: measured.p95, load_stress_check_p95_ms: measured.checkP95, load_stress_errors: measured.errors, load_stress_requests: measured.requests })
      }
      // The sandboxes' and the database's work of one window settles before the next.
      if (workload !== workloads.at(-1)) await sleep(10_000)
    }
    return result
  } catch (error) {
    for (const [name, proc] of servers) log(`${name}'s last error lines:\n${proc.output().split('\n').filter((l) => /error|Error/.test(l)).slice(-12).join('\n')}`)
    throw error
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
    pool.destroy()
    for (const [k, v] of Object.entries(previousEnv)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    setSandboxConfigForTests(null)
    setSandboxPlacementForTests(null)
    log(`load average at end: ${loadavg()}`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchLoad()
  console.log(JSON.stringify(result))
  process.exit(0)
}
