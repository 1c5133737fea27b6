// Fixtures for the workspace tests: a real Quai server process (server.ts, Next in dev mode
// unless QUAI_TEST_SERVER_MODE=production and a build exists), real sign-ups over HTTP, and a
// real container on the host's Docker engine standing in for a sandbox node. Everything made
// here carries the label quai.test=workspace and is removed afterwards.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import http, { type IncomingMessage } from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import WebSocket, { WebSocketServer } from 'ws'
import { lessonWorkdir } from '../../../lib/content/paths'
import { migrateDatabase } from '../../../lib/db/migrate'
import { openExecStream, type ContainerRef } from '../../../lib/docker/exec-stream.server'
import { bridgeTerminal } from '../../../lib/terminal/bridge.server'
import {
  decodeServerMessage,
  encodeAck,
  encodeInput,
  encodeResize,
  maxFrameBytes,
  terminalPath,
  type ErrorMessage,
  type ReadyMessage,
} from '../../../lib/terminal/protocol'

const run = promisify(execFile)

type ShellTarget = { ref: ContainerRef; command: (cmd: string[]) => string[] }

/**
 * The real terminal bridge on a node's shell, on a bare WebSocket server of this process (no
 * session or origin check: tests only). `session` names the shell each connection attaches to.
 */
export async function startBareBridge(
  target: ShellTarget,
  options: { session: (request: IncomingMessage) => string; autoPong?: boolean; onSocket?: (ws: WebSocket) => void },
): Promise<{ url: string; wss: WebSocketServer; close: () => Promise<void> }> {
  const httpServer = http.createServer()
  const wss = new WebSocketServer({ server: httpServer, maxPayload: maxFrameBytes, perMessageDeflate: false, autoPong: options.autoPong ?? true })
  wss.on('connection', (ws, request) => {
    options.onSocket?.(ws)
    void bridgeTerminal(ws, {
      session: `${lesson.lesson}.${options.session(request)}`,
      node: 'node1',
      cols: 80,
      rows: 24,
      env: [`QUAI_LESSON_DIR=${lessonWorkdir(lesson.lesson)}`],
      openExec: (cmd, env) => openExecStream(target.ref, { cmd: target.command(cmd), env }),
    })
  })
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r))
  return {
    url: `ws://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}/`,
    wss,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      await new Promise((r) => httpServer.close(r))
    },
  }
}
export const root = path.resolve(import.meta.dirname, '../../..')
export const fixtureContent = path.join(import.meta.dirname, 'fixtures', 'content')
export const lesson = { course: 'atelier', lesson: 'terminal' }

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 })
  return stdout.trim()
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

export type TestServer = {
  url: string
  databaseUrl: string
  pid: number
  /** Resident memory of the server process, in kB (from /proc). */
  rssKb: () => number
  output: () => string
  alive: () => boolean
  stop: () => Promise<void>
}

/** `env`: settings over the defaults below; `readyLines`: more lines the server must print before it counts as started. */
export async function startServer(options: { env?: Record<string, string>; readyLines?: string[] } = {}): Promise<TestServer> {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-ws-'))
  const databaseUrl = `file:${path.join(dir, 'quai.db')}`
  await migrateDatabase(databaseUrl)
  const url = `http://localhost:${port}`
  const production = process.env.QUAI_TEST_SERVER_MODE === 'production'
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/node/register.mjs', 'server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      QUAI_URL: url,
      DATABASE_URL: databaseUrl,
      QUAI_CONTENT_DIR: fixtureContent,
      QUAI_AUTH_RATE_LIMIT: 'off',
      // Reconcile would remove sandboxes of other Quai servers sharing this engine.
      QUAI_SANDBOX_RUNTIME: 'off',
      QUAI_SANDBOX_CREATES_PER_HOUR: '100',
      NODE_ENV: production ? 'production' : 'development',
      NEXT_TELEMETRY_DISABLED: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()))
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()))
  const started = Date.now()
  const readyLines = ['Quai is ready on', ...(options.readyLines ?? [])]
  while (!readyLines.every((line) => output.includes(line))) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`)
    if (Date.now() - started > 120_000) throw new Error(`the server did not start in 120 s:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    databaseUrl,
    pid: child.pid ?? 0,
    rssKb: () => {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    },
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type Account = { cookie: string; userId: string; email: string }

/** A real sign-up through better-auth's endpoint; returns the session cookie. */
export async function signUp(server: TestServer, label = 'eleve'): Promise<Account> {
  const email = `${label}-${randomUUID().slice(0, 8)}@quai.test`
  const response = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email, password: 'password-1234', name: label }),
  })
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { user: { id: string } }
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  return { cookie, userId: body.user.id, email }
}

/** A real sandbox for this account's lesson, opened through the API like the Workspace does. */
export async function openSandbox(server: TestServer, account: Account): Promise<{ id: string; status: string; nodes: { name: string }[] }> {
  const response = await fetch(`${server.url}/api/sandboxes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: account.cookie, origin: server.url },
    body: JSON.stringify({ courseSlug: lesson.course, lessonSlug: lesson.lesson }),
  })
  if (!response.ok) throw new Error(`opening a sandbox failed: ${response.status} ${await response.text()}`)
  return (await response.json()) as { id: string; status: string; nodes: { name: string }[] }
}

export async function stopSandbox(server: TestServer, account: Account, sandboxId: string): Promise<number> {
  const response = await fetch(`${server.url}/api/sandboxes/${sandboxId}`, { method: 'DELETE', headers: { cookie: account.cookie, origin: server.url } })
  return response.status
}

export function terminalUrl(server: TestServer, sandboxId: string, query: Record<string, string> = {}): string {
  const url = new URL(terminalPath(sandboxId), server.url.replace(/^http/, 'ws'))
  const params = { node: 'node1', course: lesson.course, lesson: lesson.lesson, ...query }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.toString()
}

/** Opens a raw WebSocket; resolves with the HTTP status when the upgrade is refused. */
export function tryUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string } | { ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.once('error', reject)
  })
}

/** A protocol-level terminal client: what the browser class does, without xterm. */
export class TerminalProbe {
  output = ''
  /** Characters dropped from the front of `output` (kept bounded under floods). */
  dropped = 0
  received = 0
  /** Output bytes acknowledged so far (an honest client never acknowledges more than `received`). */
  acked = 0
  ready: ReadyMessage | null = null
  errors: ErrorMessage[] = []
  exitCode: number | null | undefined
  closeCode: number | null = null
  ack = true
  private waiters: (() => void)[] = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return
      const decoded = decodeServerMessage(data)
      if (!decoded.ok) return
      const m = decoded.message
      if (m.type === 'output') {
        this.received += m.data.byteLength
        this.output += Buffer.from(m.data).toString('utf8')
        if (this.output.length > 200_000) {
          this.dropped += this.output.length - 100_000
          this.output = this.output.slice(-100_000)
        }
        if (this.ack) {
          ws.send(encodeAck(this.received - this.acked))
          this.acked = this.received
        }
      } else if (m.type === 'ready') this.ready = m.ready
      else if (m.type === 'error') this.errors.push(m.error)
      else if (m.type === 'exit') this.exitCode = m.exit.code
      this.wake()
    })
    ws.on('close', (code) => {
      this.closeCode = code
      this.wake()
    })
  }

  static async open(url: string, account: Account, origin: string): Promise<TerminalProbe> {
    const result = await tryUpgrade(url, { cookie: account.cookie, origin })
    if (!('ws' in result)) throw new Error(`upgrade refused: ${result.status} ${result.body}`)
    const probe = new TerminalProbe(result.ws)
    await probe.until(() => probe.ready !== null, 20_000, 'ready')
    return probe
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Waits until the predicate holds (re-checked on every frame), or fails after timeoutMs. */
  async until(predicate: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; last output: ${JSON.stringify(this.output.slice(-300))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  type(text: string) {
    this.ws.send(encodeInput(text))
  }

  resize(cols: number, rows: number) {
    this.ws.send(encodeResize(cols, rows))
  }

  /** Runs a command and waits for a marker it prints, so earlier output cannot match. */
  async run(command: string, timeoutMs = 15_000): Promise<string> {
    const marker = `M${randomUUID().slice(0, 8)}`
    const start = this.dropped + this.output.length
    this.type(`${command}; echo ${marker}-"$((40+2))"\r`)
    await this.until(() => this.output.includes(`${marker}-42`), timeoutMs, `marker of ${command}`)
    const text = this.output.slice(Math.max(0, start - this.dropped))
    return text.slice(0, text.indexOf(`${marker}-42`))
  }

  close(code = 1000) {
    this.ws.close(code)
  }
}
