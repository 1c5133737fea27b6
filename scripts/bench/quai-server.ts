// A production Quai for a benchmark: server.ts on a free port, with the sandbox runtime off (a
// benchmark server must not reconcile: it would remove other servers' sandboxes) and sign-in
// limits off, in the sandbox namespace and with the settings the part gives. Also the
// curriculum's first single-node hands-on lesson, which the parts open sandboxes for.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadContentTree } from '../../lib/content/load.server'
import { contentRoot } from '../../lib/content/root.server'
import { AgentClient } from '../../lib/sandbox/agent/client.server'
import { parseAgentKey } from '../../lib/sandbox/agent/signing'
import { sandboxConfig } from '../../lib/sandbox/config.server'
import { localPlacementName } from '../../lib/sandbox/local-placement.server'
import { RemotePlacement } from '../../lib/sandbox/remote-placement.server'
import { freePort } from './ports'

const root = path.resolve(import.meta.dirname, '../..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `agent`: the quai-agent beside it (as root), which makes its sandboxes. */
export type BenchQuai = { url: string; agent: BenchAgent; output: () => string; stop: () => Promise<void> }

export type Proc = { child: ChildProcess; output: () => string; stop: () => Promise<void> }

/** A process in its own group (stopped with its children), its last 20 kB of output kept. */
export function startProcess(command: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)))
  child.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)))
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || !child.pid) return
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(-child.pid, 'SIGTERM')
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

export async function waitForOutput(proc: Proc, needle: string, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!proc.output().includes(needle)) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited:\n${proc.output()}`)
    if (Date.now() > deadline) throw new Error(`${what} did not start in ${timeoutMs / 1000} s:\n${proc.output()}`)
    await sleep(100)
  }
}

/** The agent beside a split server: its socket and key (null when one process does both). */
export type BenchAgent = { socketPath: string; keyFile: string } | null

/**
 * The production server as `scripts/up.sh` starts it: as root, quai-agent (root) and quai-web
 * (the user quai) linked by a unix socket (scripts/split/start.sh, its key in `stateDir`);
 * otherwise one process. `env` must name the sandbox namespace the agent's socket is named after.
 */
export function startQuaiServer(env: Record<string, string>, stateDir: string): { proc: Proc; agent: BenchAgent } {
  if (process.getuid?.() !== 0) return { proc: startProcess(process.execPath, ['--import', 'tsx', '--import', './scripts/node/register.mjs', 'server.ts'], env), agent: null }
  const proc = startProcess('bash', ['scripts/split/start.sh', stateDir], env)
  return { proc, agent: { socketPath: `/run/quai/agent-${env.QUAI_SANDBOX_NAMESPACE ?? 'quai'}.sock`, keyFile: path.join(fs.realpathSync(stateDir), 'agent.key') } }
}

export async function startProductionQuai(options: { databaseUrl: string; env: Record<string, string>; log: (line: string) => void }): Promise<BenchQuai> {
  if (!fs.existsSync(path.join(root, '.next/BUILD_ID'))) throw new Error('no production build: run `npx next build` first')
  const port = await freePort()
  const url = `http://localhost:${port}`
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-bench-server-'))
  const { proc, agent } = startQuaiServer({
    ...options.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    QUAI_URL: url,
    DATABASE_URL: options.databaseUrl,
    QUAI_AUTH_RATE_LIMIT: 'off',
    QUAI_SANDBOX_RUNTIME: 'off',
    NEXT_TELEMETRY_DISABLED: '1',
  }, stateDir)
  try {
    await waitForOutput(proc, 'Quai is ready on', 120_000, 'the Quai server')
  } catch (error) {
    await proc.stop()
    throw error
  }
  options.log(`quai: production build on port ${port}${options.env.QUAI_SANDBOX_NAMESPACE ? `, sandbox namespace ${options.env.QUAI_SANDBOX_NAMESPACE}` : ''}`)
  const stop = async () => {
    await proc.stop()
    fs.rmSync(stateDir, { recursive: true, force: true })
  }
  return { url, agent, stop, output: proc.output }
}

/** The sandbox settings a benchmark's servers and its own process share (nobody else sees them), in its namespace. */
export function benchSandboxEnv(namespace: string): Record<string, string> {
  return {
    QUAI_SANDBOX_NAMESPACE: namespace,
    QUAI_SANDBOX_MAX_CONCURRENT: '40',
    QUAI_SANDBOX_CREATES_PER_HOUR: '100',
    QUAI_SANDBOX_DISK_MB: '512',
    QUAI_SANDBOX_MEMORY_MB: '768',
  }
}

/** The placement a benchmark's own process uses to reach the sandboxes of a split server: its agent. */
export function placementThroughAgent(agent: NonNullable<BenchAgent>): RemotePlacement {
  const key = parseAgentKey(fs.readFileSync(agent.keyFile, 'utf8'), agent.keyFile)
  return new RemotePlacement(localPlacementName(sandboxConfig()), new AgentClient(agent.socketPath, key))
}

export function handsOnLesson(): { course: string; lesson: string } {
  for (const course of loadContentTree(contentRoot()).courses) {
    for (const lesson of course.lessons) {
      if (lesson.problems.length === 0 && lesson.frontmatter?.sandbox?.nodes?.length === 1) return { course: course.slug, lesson: lesson.slug }
    }
  }
  throw new Error('no single-node hands-on lesson in content/')
}
