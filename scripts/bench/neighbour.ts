// Fair CPU: how much one learner's CPU-bound loops slow another learner down.
//   npm run bench -- --only neighbour   (needs a production build: npx next build)
// Starts a production Quai server on a throwaway database, in a sandbox namespace of its own
// (quai-neighbour, removed at the end), signs up two learners and opens a real sandbox for each
// through POST /api/sandboxes. For the second learner (the neighbour) it measures keystroke
// echo over a real terminal WebSocket (the shell in `stty raw -echo; cat`: one byte each way
// through a process) and the hands-on lesson page's server time, first with the first
// learner's shell idle, then while it runs 4 CPU-bound loops; twice over, samples pooled, so
// that a drift of the machine's load falls on both sides.
//   neighbour_slowdown   the larger of the two ratios loaded p50 / idle p50 (echo, page)
// Prints, never asserts.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { cgroupVersion } from '../../lib/sandbox/host.server'
import { decodeServerMessage, encodeAck, encodeInput, terminalPath } from '../../lib/terminal/protocol'
import { handsOnLesson, startProductionQuai } from './quai-server'
import { measureEcho, runIn, type TerminalLine } from './terminal-line'

export type NeighbourBench = {
  neighbour_slowdown: number
  neighbour_echo_idle_ms_p50: number
  neighbour_echo_loaded_ms_p50: number
  neighbour_page_idle_ms_p50: number
  neighbour_page_loaded_ms_p50: number
}

const namespace = 'quai-neighbour'
const rounds = 2
const echoesPerRound = 300
const pagesPerRound = 60
const cpuLoops = 4
const hogCommand = `for i in $(seq ${cpuLoops}); do sh -c 'while :; do :; done' & done`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100
}

// ---------------------------------------------------------------- the server

type Learner = { cookie: string; sandboxId: string }

async function learnerWithSandbox(url: string, lesson: { course: string; lesson: string }, cleanup: (() => Promise<unknown>)[]): Promise<Learner> {
  const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: `neighbour-${randomUUID().slice(0, 8)}@quai.test`, password: 'bench-password', name: 'Bench' }),
  })
  if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`)
  const cookie = signUp.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const opened = await fetch(`${url}/api/sandboxes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: url },
    body: JSON.stringify({ courseSlug: lesson.course, lessonSlug: lesson.lesson }),
  })
  if (!opened.ok) throw new Error(`opening a sandbox failed: ${opened.status} ${await opened.text()}`)
  const { id } = (await opened.json()) as { id: string }
  cleanup.push(() => fetch(`${url}/api/sandboxes/${id}`, { method: 'DELETE', headers: { cookie, origin: url } }))
  return { cookie, sandboxId: id }
}

// ---------------------------------------------------------------- a terminal from Node

type Terminal = TerminalLine & { close: () => void }

async function openTerminal(url: string, learner: Learner, lesson: { course: string; lesson: string }): Promise<Terminal> {
  const target = new URL(terminalPath(learner.sandboxId), url.replace(/^http/, 'ws'))
  for (const [k, v] of Object.entries({ node: 'node1', session: '0', course: lesson.course, lesson: lesson.lesson, cols: '120', rows: '40' })) target.searchParams.set(k, v)
  const ws = new WebSocket(target, { headers: { cookie: learner.cookie, origin: url }, perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
    ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal refused: ${res.statusCode}`)))
  })
  let tail = ''
  const waiters: (() => void)[] = []
  ws.on('message', (data: Buffer) => {
    const decoded = decodeServerMessage(data)
    if (!decoded.ok || decoded.message.type !== 'output') return
    const bytes = decoded.message.data
    ws.send(encodeAck(bytes.byteLength))
    tail = (tail + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')).slice(-4096)
    for (const w of waiters.splice(0)) w()
  })
  const nextData = () => new Promise<void>((r) => waiters.push(r))
  return {
    send: (text) => ws.send(encodeInput(text)),
    nextData,
    waitFor: async (needle, timeoutMs) => {
      tail = ''
      const deadline = Date.now() + timeoutMs
      while (!tail.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${needle}; last output ${JSON.stringify(tail.slice(-200))}`)
        await Promise.race([nextData(), sleep(200)])
      }
    },
    close: () => ws.close(1000),
  }
}

async function timePage(page: string, cookie: string, n: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    const response = await fetch(page, { headers: { cookie } })
    await response.text()
    times.push(performance.now() - start)
    if (!response.ok) throw new Error(`${page} answered ${response.status}`)
  }
  return times
}

/** CPU time (seconds) used so far by a sandbox's parent cgroup: the loops must really run. */
function sandboxCpuSeconds(sandboxId: string): number {
  const v2 = cgroupVersion() === 2
  const file = v2 ? path.join('/sys/fs/cgroup', namespace, sandboxId, 'cpu.stat') : path.join('/sys/fs/cgroup/cpuacct', namespace, sandboxId, 'cpuacct.usage')
  try {
    const text = fs.readFileSync(file, 'utf8')
    return v2 ? Number(/^usage_usec (\d+)$/m.exec(text)?.[1] ?? NaN) / 1e6 : Number(text) / 1e9
  } catch {
    return NaN
  }
}

// ---------------------------------------------------------------- the benchmark

export async function benchNeighbour(options: { log?: (line: string) => void } = {}): Promise<NeighbourBench> {
  const log = options.log ?? ((line: string) => console.log(line))
  const cleanup: (() => Promise<unknown>)[] = []
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-bench-neighbour-'))
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }))
    const env = { QUAI_SANDBOX_NAMESPACE: namespace, QUAI_SANDBOX_CREATES_PER_HOUR: '100' }
    const quai = await startProductionQuai({ databaseUrl: `file:${path.join(dir, 'quai.db')}`, env, log })
    cleanup.push(quai.stop)
    const lesson = handsOnLesson()
    const hogger = await learnerWithSandbox(quai.url, lesson, cleanup)
    const neighbour = await learnerWithSandbox(quai.url, lesson, cleanup)
    log(`lesson ${lesson.course}/${lesson.lesson}; looping sandbox ${hogger.sandboxId}, neighbour ${neighbour.sandboxId}`)
    const page = `${quai.url}/courses/${lesson.course}/${lesson.lesson}`

    const hog = await openTerminal(quai.url, hogger, lesson)
    cleanup.push(async () => hog.close())
    const term = await openTerminal(quai.url, neighbour, lesson)
    cleanup.push(async () => term.close())
    await runIn(hog, 'cd /tmp')
    await runIn(term, 'cd /tmp')
    // Warm-up: the page's first renders and the terminal's first round trips are not counted.
    await timePage(page, neighbour.cookie, 15)
    await measureEcho(term, 50)

    const idle = { echo: [] as number[], page: [] as number[] }
    const loaded = { echo: [] as number[], page: [] as number[] }
    const hogCpu: number[] = []
    for (let round = 0; round < rounds; round++) {
      idle.echo.push(...(await measureEcho(term, echoesPerRound)))
      idle.page.push(...(await timePage(page, neighbour.cookie, pagesPerRound)))

      await runIn(hog, hogCommand)
      await sleep(1000)
      const cpuBefore = sandboxCpuSeconds(hogger.sandboxId)
      const t0 = performance.now()
      loaded.echo.push(...(await measureEcho(term, echoesPerRound)))
      loaded.page.push(...(await timePage(page, neighbour.cookie, pagesPerRound)))
      hogCpu.push((sandboxCpuSeconds(hogger.sandboxId) - cpuBefore) / ((performance.now() - t0) / 1000))
      await runIn(hog, 'kill $(jobs -p); wait')
      await sleep(1000)
    }

    const result: NeighbourBench = {
      neighbour_echo_idle_ms_p50: percentile(idle.echo, 50),
      neighbour_echo_loaded_ms_p50: percentile(loaded.echo, 50),
      neighbour_page_idle_ms_p50: percentile(idle.page, 50),
      neighbour_page_loaded_ms_p50: percentile(loaded.page, 50),
      neighbour_slowdown: 0,
    }
    const echoRatio = result.neighbour_echo_loaded_ms_p50 / result.neighbour_echo_idle_ms_p50
    const pageRatio = result.neighbour_page_loaded_ms_p50 / result.neighbour_page_idle_ms_p50
    result.neighbour_slowdown = Math.round(Math.max(echoRatio, pageRatio) * 100) / 100
    log(`looping sandbox used ${hogCpu.map((c) => c.toFixed(2)).join(' / ')} CPU while measured (${cpuLoops} loops, ${os.cpus().length} cores)`)
    log(`neighbour echo, ${rounds}×${echoesPerRound}: idle p50 ${result.neighbour_echo_idle_ms_p50} ms (p99 ${percentile(idle.echo, 99)}), loaded p50 ${result.neighbour_echo_loaded_ms_p50} ms (p99 ${percentile(loaded.echo, 99)}): ×${echoRatio.toFixed(2)}`)
    log(`lesson page, ${rounds}×${pagesPerRound}: idle p50 ${result.neighbour_page_idle_ms_p50} ms (p95 ${percentile(idle.page, 95)}), loaded p50 ${result.neighbour_page_loaded_ms_p50} ms (p95 ${percentile(loaded.page, 95)}, max ${percentile(loaded.page, 100)}): ×${pageRatio.toFixed(2)}`)
    log(`neighbour_slowdown ${result.neighbour_slowdown}`)
    return result
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchNeighbour()
  console.log(JSON.stringify(result))
  process.exit(0)
}
