// Terminal speed, Quai against wetty, on one real sandbox, in the same run.
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/terminal.ts
// Starts a Quai server (the production build when it has the sandbox routes, else Next in dev
// mode) on a throwaway database, signs up, opens a real sandbox through POST /api/sandboxes,
// and starts wetty (npm devDependency) whose shell is `docker exec -it <the same node> quai-enter`.
// Echo: one keystroke's round trip (WebSocket -> server -> docker exec -> shell -> back), with
// the shell in `stty raw -echo; cat` so each key comes back as one byte from a process.
// Throughput: MB/s of `yes ... | head -c N` through the terminal, flow control on.
// Measured from a Node client and from Chromium (xterm parsing included), in pages with no
// DevTools Network domain, as a learner's browser runs them (bare-page.ts). Then the ceilings of
// the Chromium figure on this machine: the same path with xterm parsing (almost) nothing, xterm
// alone fed in the page, and Chromium alone receiving from a bare WebSocket server. Prints, never asserts.
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { io, type Socket as IoSocket } from 'socket.io-client'
import WebSocket, { WebSocketServer } from 'ws'
import { openExecStream } from '../../lib/docker/exec-stream.server'
import { AgentClient } from '../../lib/sandbox/agent/client.server'
import { parseAgentKey } from '../../lib/sandbox/agent/signing'
import { learnerCommand } from '../../lib/sandbox/placement'
import { holderCommand } from '../../lib/terminal/bridge.server'
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeAck,
  encodeHolderFrame,
  encodeHolderHello,
  encodeInput,
  encodeOutput,
  flowHighWater,
  flowLowWater,
  HolderFrameType,
  terminalPath,
} from '../../lib/terminal/protocol'
import { connectBareBrowser, type BareBrowser, type BareCookie, type BarePage } from './bare-page'
import { freePort } from './ports'
import { handsOnLesson, startProcess, startQuaiServer, waitForOutput, type BenchAgent } from './quai-server'
import { measureEcho, runIn } from './terminal-line'

export type TerminalBench = {
  echo_ms_p50: number
  echo_ms_p99: number
  /** The same echo straight to quai-agent's passthrough (no quai-web): echo_ms_p50 minus this is the web hop. Null when not split (not root). */
  agent_hop_echo_ms_p50: number | null
  throughput_mb_s: number
  wetty_echo_ms_p50: number
  wetty_throughput_mb_s: number
  browser_echo_ms_p50: number
  browser_throughput_mb_s: number
  browser_wetty_echo_ms_p50: number
  browser_wetty_throughput_mb_s: number
  /** The ceilings of the Chromium figure: the whole path with xterm parsing nothing... */
  browser_unparsed_throughput_mb_s: number
  /** ...xterm alone, fed in the page... */
  browser_xterm_alone_mb_s: number
  /** ...and Chromium receiving Quai's frames from a bare WebSocket server (no sandbox, no terminal). */
  browser_websocket_alone_mb_s: number
  /** browser_throughput_mb_s over browser_unparsed_throughput_mb_s, both of this run. */
  browser_throughput_ratio: number
  /** browser_throughput_mb_s over browser_wetty_throughput_mb_s, both of this run. */
  browser_times_wetty: number
  /** Ctrl-C during `yes` in Chromium until the prompt is on screen (median of several runs). */
  interrupt_ms_p50: number
}

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const sizes = { node: 100_000_000, nodeWetty: 20_000_000, browser: 40_000_000, browserWetty: 4_000_000 }
const echoes = { node: 1000, browser: 300 }
const interruptRuns = 9
const throughputLine = 'Quai throughput: the quick brown fox jumps over the lazy dog 0123456789'
const yesLine = `yes '${throughputLine}'`

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 1000) / 1000
}
const round1 = (n: number) => Math.round(n * 10) / 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------- processes

async function startQuai(log: (line: string) => void): Promise<{ url: string; agent: BenchAgent; stop: () => Promise<void> }> {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-bench-terminal-'))
  const production = fs.existsSync(path.join(root, '.next/BUILD_ID')) && fs.existsSync(path.join(root, '.next/server/app/api/sandboxes/route.js'))
  log(`quai: ${production ? 'production build' : 'no production build with the sandbox routes: Next in dev mode'} on port ${port}`)
  const url = `http://localhost:${port}`
  const { proc, agent } = startQuaiServer({
    NODE_ENV: production ? 'production' : 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    QUAI_URL: url,
    DATABASE_URL: `file:${path.join(dir, 'quai.db')}`,
    QUAI_AUTH_RATE_LIMIT: 'off',
    // A benchmark server must not reconcile: it would remove other servers' sandboxes.
    QUAI_SANDBOX_RUNTIME: 'off',
    QUAI_SANDBOX_CREATES_PER_HOUR: '100',
    QUAI_SANDBOX_NAMESPACE: 'quai-bench-terminal',
    NEXT_TELEMETRY_DISABLED: '1',
  }, dir)
  await waitForOutput(proc, 'Quai is ready on', 180_000, 'the Quai server')
  log(agent ? `quai: split, quai-web as the user quai, quai-agent on ${agent.socketPath}` : 'quai: one process (not root)')
  return {
    url,
    agent,
    stop: async () => {
      await proc.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------- a terminal from Node

type Line = {
  send: (text: string) => void
  received: () => number
  /** Resolves once `needle` appears in what arrived after this call. */
  waitFor: (needle: string, timeoutMs: number) => Promise<void>
  nextData: () => Promise<void>
  close: () => void
}

function lineOver(onData: (cb: (text: string) => void) => void, send: (text: string) => void, close: () => void): Line {
  let tail = ''
  let received = 0
  const waiters: (() => void)[] = []
  onData((text) => {
    received += text.length
    tail = (tail + text).slice(-4096)
    for (const w of waiters.splice(0)) w()
  })
  const nextData = () => new Promise<void>((r) => waiters.push(r))
  return {
    send,
    received: () => received,
    nextData,
    waitFor: async (needle, timeoutMs) => {
      tail = ''
      const deadline = Date.now() + timeoutMs
      while (!tail.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${needle}; last output ${JSON.stringify(tail.slice(-200))}`)
        await Promise.race([nextData(), sleep(200)])
      }
    },
    close,
  }
}

async function quaiLine(url: string, cookie: string, sandboxId: string, lesson: { course: string; lesson: string }, session: number): Promise<Line> {
  const target = new URL(terminalPath(sandboxId), url.replace(/^http/, 'ws'))
  for (const [k, v] of Object.entries({ node: 'node1', session: String(session), course: lesson.course, lesson: lesson.lesson, cols: '120', rows: '40' })) target.searchParams.set(k, v)
  const ws = new WebSocket(target, { headers: { cookie, origin: url }, perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
    ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal refused: ${res.statusCode}`)))
  })
  const listeners: ((text: string) => void)[] = []
  ws.on('message', (data: Buffer) => {
    const decoded = decodeServerMessage(data)
    if (!decoded.ok || decoded.message.type !== 'output') return
    const bytes = decoded.message.data
    ws.send(encodeAck(bytes.byteLength))
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
    for (const l of listeners) l(text)
  })
  return lineOver(
    (cb) => listeners.push(cb),
    (text) => ws.send(encodeInput(text)),
    () => ws.close(1000),
  )
}

/** The same shell session protocol as the bridge's, opened on the agent's passthrough directly: no quai-web in the path. */
async function agentLine(agent: NonNullable<BenchAgent>, sandboxId: string, containerId: string): Promise<Line> {
  const client = new AgentClient(agent.socketPath, parseAgentKey(fs.readFileSync(agent.keyFile, 'utf8'), agent.keyFile))
  const stream = await openExecStream(
    { docker: client.docker(sandboxId, 'node1', 'engine'), containerId },
    { cmd: learnerCommand(holderCommand({ session: 'bench-agent', cols: 120, rows: 40 })) },
  )
  stream.write(encodeHolderHello(undefined))
  const listeners: ((text: string) => void)[] = []
  stream.onOutput((data) => {
    const text = data.toString('latin1')
    for (const l of listeners) l(text)
  })
  return lineOver(
    (cb) => listeners.push(cb),
    (text) => stream.write(encodeHolderFrame(HolderFrameType.input, Buffer.from(text, 'utf8'))),
    () => stream.close(),
  )
}

async function wettyLine(port: number): Promise<Line> {
  const socket: IoSocket = io(`http://127.0.0.1:${port}`, { path: '/wetty/socket.io', transports: ['websocket'], forceNew: true })
  const listeners: ((text: string) => void)[] = []
  socket.on('data', (data: string) => {
    socket.emit('commit', data.length)
    for (const l of listeners) l(data)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('login', () => resolve())
    socket.once('connect_error', reject)
  })
  socket.emit('resize', { cols: 120, rows: 40 })
  return lineOver(
    (cb) => listeners.push(cb),
    (text) => socket.emit('input', text),
    () => socket.close(),
  )
}

async function measureThroughput(line: Line, bytes: number, timeoutMs: number): Promise<number> {
  await runIn(line, 'clear')
  const marker = `END${randomUUID().slice(0, 8)}`
  const done = line.waitFor(`${marker}-2`, timeoutMs)
  const start = performance.now()
  line.send(`${yesLine} | head -c ${bytes}; echo; echo ${marker}-$((1+1))\r`)
  await done
  return bytes / 1e6 / ((performance.now() - start) / 1000)
}

// ---------------------------------------------------------------- the browser

/**
 * A WebSocket server with nothing behind it: sends `?bytes=N` as Quai's output frames (64 kB,
 * the bridge's largest) under the bridge's flow control, so that the page's receive loop is
 * measured without a sandbox, dockerd or a terminal.
 */
async function startBareOutputServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
  const frame = encodeOutput(Buffer.alloc(64 * 1024, `${throughputLine}\r\n`))
  wss.on('connection', (ws, request) => {
    const bytes = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('bytes'))
    let sent = 0
    let unacked = 0
    let paused = false
    const pump = () => {
      while (sent < bytes && unacked <= flowHighWater) {
        ws.send(frame)
        sent += frame.byteLength - 1
        unacked += frame.byteLength - 1
      }
      paused = sent < bytes
    }
    ws.on('message', (data: Buffer) => {
      const decoded = decodeClientMessage(data)
      if (!decoded.ok || decoded.message.type !== 'ack') return
      unacked -= decoded.message.bytes
      if (paused && unacked < flowLowWater) pump()
    })
    pump()
  })
  await new Promise((resolve) => wss.once('listening', resolve))
  return { url: `ws://127.0.0.1:${port}/`, stop: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  }
}

async function bundleBrowserEntry(): Promise<{ js: string; css: string }> {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'scripts/bench/terminal-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: path.join(os.tmpdir(), 'quai-bench-terminal-page'),
    minify: true,
    logLevel: 'silent',
  })
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? ''
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? ''
  return { js, css }
}

type Runs = (number | null)[]

/**
 * Throughput rounds in Chromium, with both terminals' pages open: each round runs Quai's
 * terminal, Quai's with xterm parsing nothing, then wetty's, so that a burst of load from
 * elsewhere hits the three figures alike; their medians are reported.
 * QUAI_BENCH_TERMINAL_RUNS=1 for a single round.
 */
const browserRuns = Math.max(1, Number(process.env.QUAI_BENCH_TERMINAL_RUNS ?? 9) || 1)

/** The median of seconds, a timed-out run (null) counting as the slowest. */
function medianSeconds(runs: (number | null)[]): number | null {
  const sorted = runs.map((r) => r ?? Infinity).sort((a, b) => a - b)
  const middle = sorted[Math.floor((sorted.length - 1) / 2)] ?? Infinity
  return Number.isFinite(middle) ? middle : null
}
const mbsList = (bytes: number, runs: (number | null)[]) => runs.map((r) => (r ? round1(bytes / 1e6 / r) : 'timed out')).join(', ')

type InterruptRun = { ms: number; bytesAfterKey: number; floodBytes: number }

/**
 * Ctrl-C during `yes` in Quai's page: from the key (xterm's input, as a keystroke) until the
 * shell's prompt is on screen again (parsed, then one animation frame for the render), `runs`
 * times. The prompt is the cursor's line after a `clear`, read before the first run. Also
 * counts the output bytes that arrived after the key (what was in flight), and how much the
 * flood had sent before it (to see that it was running at full speed).
 */
async function measureInterrupt(page: BarePage, runs: number): Promise<InterruptRun[]> {
  return page.evaluate(async (n) => {
    type Term = {
      input: (d: string, u?: boolean) => void
      onWriteParsed: (l: () => void) => { dispose: () => void }
      buffer: { active: { cursorY: number; baseY: number; getLine: (y: number) => { translateToString: (trim?: boolean) => string } | undefined } }
    }
    const b = (window as unknown as { quaiBench: { quaiTerm: () => Term; run: (w: string, c: string, t?: number) => Promise<boolean>; client: unknown } }).quaiBench
    const term = b.quaiTerm()
    // The client's count of output bytes received (private, read for the benchmark only).
    const received = () => (b.client as { offset: number }).offset
    const cursorLine = () => {
      const a = term.buffer.active
      return a.getLine(a.baseY + a.cursorY)?.translateToString(true) ?? ''
    }
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
    const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)))
    const until = (test: () => boolean, timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        if (test()) return resolve(true)
        const timer = setTimeout(() => {
          sub.dispose()
          resolve(false)
        }, timeoutMs)
        const sub = term.onWriteParsed(() => {
          if (!test()) return
          clearTimeout(timer)
          sub.dispose()
          resolve(true)
        })
      })
    if (!(await b.run('quai', 'clear'))) throw new Error('interrupt: the shell did not answer')
    await sleep(300)
    const prompt = cursorLine().trimEnd()
    if (!prompt) throw new Error('interrupt: no prompt on the cursor line')
    const results: { ms: number; bytesAfterKey: number; floodBytes: number }[] = []
    for (let i = 0; i < n; i++) {
      const before = received()
      term.input('yes\r', true)
      if (!(await until(() => received() - before > 256 * 1024, 20_000))) throw new Error('interrupt: yes did not start')
      // A second of flood: every buffer on the way is full, flow control is pausing the shell.
      await sleep(1000)
      const atKey = received()
      const start = performance.now()
      term.input('\x03', true)
      if (!(await until(() => cursorLine().trimEnd() === prompt, 60_000))) throw new Error(`interrupt: no prompt 60 s after Ctrl-C (cursor line ${JSON.stringify(cursorLine())})`)
      await frame()
      results.push({ ms: performance.now() - start, bytesAfterKey: received() - atKey, floodBytes: atKey - before })
      await sleep(300)
      if (!(await b.run('quai', 'clear'))) throw new Error('interrupt: the shell did not answer after Ctrl-C')
    }
    return results
  }, runs)
}

/** The page-side helpers of terminal-page.ts. */
type PageBench = {
  run: (w: string, c: string, t?: number) => Promise<boolean>
  typeAndWait: (w: string, text: string, needle: string, t?: number) => Promise<boolean>
  echo: (w: string, n: number) => Promise<number[]>
  throughput: (w: string, b: number, t: number) => Promise<number | null>
  skipParsing: () => void
  parseAgain: () => void
}

/** A terminal's page, open, its shell answering, its echo (and for Quai, Ctrl-C) measured. */
type TerminalPage = { which: 'quai' | 'wetty'; page: BarePage; echo: number[]; interrupt: InterruptRun[] }

async function openTerminalPage(
  which: 'quai' | 'wetty',
  open: (page: BarePage) => Promise<void>,
  browser: BareBrowser,
  cookies: BareCookie[],
  options: { interruptRuns?: number } = {},
): Promise<TerminalPage> {
  // Both terminals at the size of the lesson's panel on a laptop: wetty fills its page, ours its div.
  const page = await browser.newPage({ viewport: { width: 680, height: 440 }, cookies })
  try {
    await open(page)
    // cat in raw mode: every key is read and written back by a process, one byte each way.
    const ready = await page.evaluate(async (w) => (window as unknown as { quaiBench: PageBench }).quaiBench.typeAndWait(w, 'stty raw -echo isig; echo ECHO-READY-$((1+1)); cat\r', 'ECHO-READY-2', 90_000), which)
    if (!ready) throw new Error(`${which}: the shell did not answer in the browser`)
    await page.waitForTimeout(500)
    const echo = await page.evaluate(async ([w, n]) => {
      const b = (window as unknown as { quaiBench: PageBench }).quaiBench
      await b.echo(w as string, 20)
      return b.echo(w as string, n as number)
    }, [which, echoes.browser] as const)
    await page.evaluate((w) => {
      const term = w === 'quai' ? (window as unknown as { quaiBench: { quaiTerm: () => { input: (d: string, u?: boolean) => void } } }).quaiBench.quaiTerm() : (window as unknown as { wetty_term: { input: (d: string, u?: boolean) => void } }).wetty_term
      term.input('\x03', true)
    }, which)
    await page.waitForTimeout(300)
    await page.evaluate(async (w) => (window as unknown as { quaiBench: PageBench }).quaiBench.run(w, 'stty sane; clear'), which)
    const interrupt = options.interruptRuns ? await measureInterrupt(page, options.interruptRuns) : []
    return { which, page, echo, interrupt }
  } catch (error) {
    await page.close()
    throw error
  }
}

/** Seconds for `bytes` of `yes` through the page's terminal (null: timed out), after a `clear`. */
async function timeThroughput(t: TerminalPage, bytes: number, options: { unparsed?: boolean; profile?: boolean } = {}): Promise<number | null> {
  await t.page.evaluate(`quaiBench.run(${JSON.stringify(t.which)}, 'clear')`)
  if (options.unparsed) await t.page.evaluate('quaiBench.skipParsing()')
  // QUAI_BENCH_PROFILE=1: a CPU profile of the page during the flood, summed by function.
  if (options.profile) {
    await t.page.send('Profiler.enable')
    await t.page.send('Profiler.setSamplingInterval', { interval: 200 })
    await t.page.send('Profiler.start')
  }
  const seconds = (await t.page.evaluate(async ([w, b]) => (window as unknown as { quaiBench: PageBench }).quaiBench.throughput(w as string, b as number, 120_000), [t.which, bytes] as const)) as number | null
  if (options.profile) printProfile(`${t.which}${options.unparsed ? ' (xterm parsing nothing)' : ''}`, (await t.page.send('Profiler.stop')).profile as CpuProfile)
  if (options.unparsed) await t.page.evaluate('quaiBench.parseAgain()')
  return seconds
}

async function throughputRounds(quai: TerminalPage, wetty: TerminalPage): Promise<{ quai: Runs; unparsed: Runs; wetty: Runs }> {
  const runs = { quai: [] as Runs, unparsed: [] as Runs, wetty: [] as Runs }
  const profile = process.env.QUAI_BENCH_PROFILE === '1'
  for (let i = 0; i < browserRuns; i++) {
    runs.quai.push(await timeThroughput(quai, sizes.browser, { profile: profile && i === 0 }))
    runs.unparsed.push(await timeThroughput(quai, sizes.browser, { unparsed: true, profile: profile && i === 0 }))
    runs.wetty.push(await timeThroughput(wetty, sizes.browserWetty, { profile: profile && i === 0 }))
  }
  return runs
}

/** xterm alone and Chromium's WebSocket alone, in a page of their own: MB/s each. */
async function measureCeilings(browser: BareBrowser, js: string, css: string, websocketUrl: string): Promise<{ xterm: number; websocket: number }> {
  const page = await browser.newPage({ viewport: { width: 680, height: 440 } })
  try {
    await page.setContent('<!doctype html><html><body style="margin:0;background:#000"></body></html>')
    await page.addStyleTag({ content: css })
    await page.addScriptTag({ content: js })
    type Ceilings = { xtermAlone: (b: number) => Promise<number>; websocketAlone: (u: string, b: number) => Promise<number> }
    const bytes = sizes.browser
    // A first pass of each warms the JIT, as the echo runs do for the terminals.
    const xtermSeconds = await page.evaluate(async (b) => {
      const c = (window as unknown as { quaiBench: Ceilings }).quaiBench
      await c.xtermAlone(b / 4)
      return c.xtermAlone(b)
    }, bytes)
    const websocketSeconds = await page.evaluate(async ([u, b]) => {
      const c = (window as unknown as { quaiBench: Ceilings }).quaiBench
      await c.websocketAlone(`${u}?bytes=${b / 4}`, (b as number) / 4)
      return c.websocketAlone(`${u}?bytes=${b}`, b as number)
    }, [websocketUrl, bytes] as const)
    return { xterm: bytes / 1e6 / xtermSeconds, websocket: bytes / 1e6 / websocketSeconds }
  } finally {
    await page.close()
  }
}

type CpuProfile = { nodes: { id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; startTime: number; endTime: number }

function printProfile(which: string, profile: CpuProfile): void {
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1
  const byFunction = new Map<string, number>()
  for (const n of profile.nodes) {
    const file = n.callFrame.url.split('/').pop() ?? ''
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}${file ? `:${n.callFrame.lineNumber}` : ''}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + (n.hitCount ?? 0))
  }
  const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)
  console.log(`profile ${which}: ${Math.round((profile.endTime - profile.startTime) / 1000)} ms`)
  for (const [name, hits] of top) console.log(`  ${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`)
}

// ---------------------------------------------------------------- the benchmark

export async function benchTerminal(options: { log?: (line: string) => void } = {}): Promise<TerminalBench> {
  const log = options.log ?? ((line: string) => console.log(line))
  const cleanup: (() => Promise<unknown>)[] = []
  try {
    const quai = await startQuai(log)
    cleanup.push(quai.stop)
    const lesson = handsOnLesson()
    const signUp = await fetch(`${quai.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: quai.url },
      body: JSON.stringify({ email: `bench-${randomUUID().slice(0, 8)}@quai.test`, password: 'bench-password', name: 'Bench' }),
    })
    if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`)
    const setCookies = signUp.headers.getSetCookie()
    const cookie = setCookies.map((c) => c.split(';')[0]).join('; ')

    const opened = await fetch(`${quai.url}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: quai.url },
      body: JSON.stringify({ courseSlug: lesson.course, lessonSlug: lesson.lesson }),
    })
    if (!opened.ok) throw new Error(`opening a sandbox failed: ${opened.status} ${await opened.text()}`)
    const sandbox = (await opened.json()) as { id: string }
    cleanup.push(() => fetch(`${quai.url}/api/sandboxes/${sandbox.id}`, { method: 'DELETE', headers: { cookie, origin: quai.url } }))
    log(`sandbox ${sandbox.id} for ${lesson.course}/${lesson.lesson}`)
    const container = (await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=quai.sandbox=${sandbox.id}`, '--filter', 'label=quai.node=node1'])).stdout.trim()
    if (!container) throw new Error('cannot find the sandbox node container')

    const wettyPort = await freePort()
    const wetty = startProcess(process.execPath, [path.join(root, 'node_modules/wetty/build/main.js'), '--host', '127.0.0.1', '--port', String(wettyPort), '--base', '/wetty', '--command', `docker exec -it -e TERM=xterm-256color ${container} quai-enter`], {})
    cleanup.push(wetty.stop)
    await waitForOutput(wetty, 'Server started', 30_000, 'wetty').catch(async () => {
      // Older wetty versions log differently: fall back to the port answering.
      for (let i = 0; i < 60; i++) {
        if ((await fetch(`http://127.0.0.1:${wettyPort}/wetty`).catch(() => null))?.ok) return
        await sleep(250)
      }
      throw new Error(`wetty did not start:\n${wetty.output()}`)
    })

    // Node clients.
    const q = await quaiLine(quai.url, cookie, sandbox.id, lesson, 0)
    await runIn(q, 'cd /tmp')
    const quaiEcho = await measureEcho(q, echoes.node)
    const quaiMbs = await measureThroughput(q, sizes.node, 120_000)
    q.close()
    log(`node   quai : echo p50 ${percentile(quaiEcho, 50)} ms, p99 ${percentile(quaiEcho, 99)} ms; throughput ${round1(quaiMbs)} MB/s`)

    // The same echo with no quai-web in the path: straight to the agent's passthrough.
    let agentEcho: number[] = []
    if (quai.agent) {
      const a = await agentLine(quai.agent, sandbox.id, container)
      await runIn(a, 'cd /tmp')
      agentEcho = await measureEcho(a, echoes.node)
      a.close()
      log(`node   agent: echo p50 ${percentile(agentEcho, 50)} ms, p99 ${percentile(agentEcho, 99)} ms (quai-agent's passthrough, no quai-web)`)
    }

    const w = await wettyLine(wettyPort)
    await runIn(w, 'cd /tmp')
    const wettyEcho = await measureEcho(w, echoes.node)
    const wettyMbs = await measureThroughput(w, sizes.nodeWetty, 180_000)
    w.close()
    log(`node   wetty: echo p50 ${percentile(wettyEcho, 50)} ms, p99 ${percentile(wettyEcho, 99)} ms; throughput ${round1(wettyMbs)} MB/s`)

    // Chromium.
    // Playwright starts Chromium; the pages are bare ones (bare-page.ts): no DevTools Network domain copying every frame.
    const { chromium } = await import('@playwright/test')
    const devtoolsPort = await freePort()
    const launched = await chromium.launch({ executablePath: process.env.QUAI_CHROMIUM ?? '/usr/bin/chromium', args: [...chromiumArgs, `--remote-debugging-port=${devtoolsPort}`] })
    cleanup.push(() => launched.close())
    const browser = await connectBareBrowser(devtoolsPort)
    cleanup.push(async () => browser.close())
    const page = await bundleBrowserEntry()
    const quaiHost = new URL(quai.url)
    const cookies = setCookies.map((c) => {
      const [pair = ''] = c.split(';')
      const i = pair.indexOf('=')
      return { name: pair.slice(0, i), value: pair.slice(i + 1), domain: quaiHost.hostname, path: '/', httpOnly: true, sameSite: 'Lax' as const } satisfies BareCookie
    })
    const quaiPage = await openTerminalPage(
      'quai',
      async (p) => {
        // Any page of Quai's origin: the terminal's WebSocket must come from it.
        await p.goto(`${quai.url}/api/sandboxes/${sandbox.id}`)
        await p.setContent('<!doctype html><html><body style="margin:0;background:#000"></body></html>')
        await p.addStyleTag({ content: page.css })
        await p.addScriptTag({ content: page.js })
        await p.evaluate((o) => (window as unknown as { quaiBench: { startQuai: (x: typeof o) => void } }).quaiBench.startQuai(o), {
          sandboxId: sandbox.id,
          node: 'node1',
          courseSlug: lesson.course,
          lessonSlug: lesson.lesson,
          session: 1,
        })
        await p.waitForFunction(() => (window as unknown as { quaiBench: { client: { currentState: { kind: string } } } }).quaiBench.client.currentState.kind === 'open', null, { timeout: 90_000 })
      },
      browser,
      cookies,
      { interruptRuns },
    )
    cleanup.push(() => quaiPage.page.close())
    const interruptMs = quaiPage.interrupt.map((r) => r.ms)
    log(`chrome quai : Ctrl-C during yes until the prompt, p50 ${percentile(interruptMs, 50)} ms, max ${percentile(interruptMs, 100)} ms (${quaiPage.interrupt.map((r) => `${Math.round(r.ms)} ms/${Math.round(r.bytesAfterKey / 1024)} KiB after the key`).join(', ')})`)
    const wettyPage = await openTerminalPage(
      'wetty',
      async (p) => {
        await p.goto(`http://127.0.0.1:${wettyPort}/wetty`)
        await p.waitForFunction(() => Boolean((window as unknown as { wetty_term?: unknown }).wetty_term), null, { timeout: 90_000 })
        await p.waitForTimeout(1500)
        await p.addScriptTag({ content: page.js })
      },
      browser,
      [],
    )
    cleanup.push(() => wettyPage.page.close())
    const rounds = await throughputRounds(quaiPage, wettyPage)
    const mbs = (bytes: number, runs: Runs) => {
      const seconds = medianSeconds(runs)
      return seconds ? round1(bytes / 1e6 / seconds) : 0
    }
    const browserMbs = mbs(sizes.browser, rounds.quai)
    const unparsedMbs = mbs(sizes.browser, rounds.unparsed)
    const browserWettyMbs = mbs(sizes.browserWetty, rounds.wetty)
    log(`chrome quai : echo p50 ${percentile(quaiPage.echo, 50)} ms, p99 ${percentile(quaiPage.echo, 99)} ms; throughput ${browserMbs || 'timed out'} MB/s (median of ${mbsList(sizes.browser, rounds.quai)})`)
    log(`chrome wetty: echo p50 ${percentile(wettyPage.echo, 50)} ms, p99 ${percentile(wettyPage.echo, 99)} ms; throughput ${browserWettyMbs || 'timed out'} MB/s (median of ${mbsList(sizes.browserWetty, rounds.wetty)})`)

    const bare = await startBareOutputServer()
    cleanup.push(bare.stop)
    const ceilings = await measureCeilings(browser, page.js, page.css, bare.url)
    log(`chrome ceilings: Quai's path with xterm parsing nothing ${unparsedMbs} MB/s (median of ${mbsList(sizes.browser, rounds.unparsed)}); xterm alone ${round1(ceilings.xterm)} MB/s; WebSocket alone ${round1(ceilings.websocket)} MB/s`)
    const browserRatio = unparsedMbs > 0 ? Math.round((browserMbs / unparsedMbs) * 100) / 100 : 0
    const timesWetty = browserWettyMbs > 0 ? Math.round((browserMbs / browserWettyMbs) * 10) / 10 : 0
    log(`chrome quai : throughput ${browserMbs} MB/s is ${browserRatio} of the path with xterm parsing nothing, and ${timesWetty}× wetty's`)

    return {
      echo_ms_p50: percentile(quaiEcho, 50),
      agent_hop_echo_ms_p50: agentEcho.length ? percentile(agentEcho, 50) : null,
      echo_ms_p99: percentile(quaiEcho, 99),
      throughput_mb_s: round1(quaiMbs),
      wetty_echo_ms_p50: percentile(wettyEcho, 50),
      wetty_throughput_mb_s: round1(wettyMbs),
      browser_echo_ms_p50: percentile(quaiPage.echo, 50),
      browser_throughput_mb_s: browserMbs,
      browser_wetty_echo_ms_p50: percentile(wettyPage.echo, 50),
      browser_wetty_throughput_mb_s: browserWettyMbs,
      browser_unparsed_throughput_mb_s: unparsedMbs,
      browser_xterm_alone_mb_s: round1(ceilings.xterm),
      browser_websocket_alone_mb_s: round1(ceilings.websocket),
      browser_throughput_ratio: browserRatio,
      browser_times_wetty: timesWetty,
      interrupt_ms_p50: Math.round(percentile(interruptMs, 50)),
    }
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchTerminal()
  console.log(JSON.stringify(result))
  process.exit(0)
}
