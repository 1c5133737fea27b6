// A real quai-agent process (agent.ts) for the tests and benchmarks, on the sandbox namespace of
// this process's configuration and a socket and key of its own; and a RemotePlacement that talks to it.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { AgentClient } from '../../lib/sandbox/agent/client.server'
import { parseAgentKey } from '../../lib/sandbox/agent/signing'
import { sandboxConfig } from '../../lib/sandbox/config.server'
import { localPlacementName } from '../../lib/sandbox/local-placement.server'
import { RemotePlacement } from '../../lib/sandbox/remote-placement.server'

const root = path.resolve(import.meta.dirname, '../..')

export type TestAgent = {
  socketPath: string
  /** Where quai-web reaches it: the socket path, or http://127.0.0.1:port with `tcp`. */
  address: string
  key: Buffer
  placement: RemotePlacement
  client: AgentClient
  process: ChildProcess
  output: () => string
  stop(): Promise<void>
}

export type TestAgentOptions = {
  /** Another namespace than the test file's (a second "host"); its folders and cgroup parent follow it. */
  namespace?: string
  name?: string
  /** Listen on 127.0.0.1 (a free port) instead of a unix socket. */
  tcp?: boolean
  /** A key file shared with other agents (default: one of its own). */
  keyFile?: string
  /** More of the agent's environment (QUAI_AGENT_METRICS_ADDRESS, …). */
  env?: Record<string, string>
}

/** A key file for agents that share one key (as quai-web's registered agents do). */
export function writeTestKeyFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-agent-key-'))
  const keyFile = path.join(dir, 'agent.key')
  fs.writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url'), { mode: 0o600 })
  return keyFile
}

/** The sandbox configuration of another namespace, as withTestNamespace derives it. */
export function namespaceConfig(namespace: string) {
  return { ...sandboxConfig(), namespace, stateDir: `/var/lib/quai-it/${namespace}`, keptDir: `/var/lib/quai-it/${namespace}.kept`, runDir: `/run/quai-it/${namespace}`, cgroupParent: namespace, poolUserId: `pool-${namespace}` }
}

export async function startTestAgent(options: TestAgentOptions = {}): Promise<TestAgent> {
  const config = options.namespace ? namespaceConfig(options.namespace) : sandboxConfig()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-agent-'))
  const socketPath = path.join(dir, 'agent.sock')
  const keyFile = options.keyFile ?? path.join(dir, 'agent.key')
  if (!options.keyFile) fs.writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url'), { mode: 0o600 })
  const key = parseAgentKey(fs.readFileSync(keyFile, 'utf8'), keyFile)
  const port = options.tcp ? await freePort() : 0
  const address = options.tcp ? `http://127.0.0.1:${port}` : socketPath
  const { QUAI_AGENT_SOCKET: _socket, QUAI_AGENT_LISTEN: _listen, ...inherited } = process.env
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'production',
    ...(options.tcp ? { QUAI_AGENT_LISTEN: `127.0.0.1:${port}` } : { QUAI_AGENT_SOCKET: socketPath }),
    QUAI_AGENT_KEY_FILE: keyFile,
    QUAI_AGENT_NAME: options.name ?? `test-${config.namespace}`,
    QUAI_SANDBOX_NAMESPACE: config.namespace,
    QUAI_SANDBOX_STATE_DIR: config.stateDir,
    QUAI_SANDBOX_KEPT_DIR: config.keptDir,
    QUAI_SANDBOX_RUN_DIR: config.runDir,
    QUAI_SANDBOX_CGROUP_PARENT: config.cgroupParent,
    QUAI_SANDBOX_DISK: config.disk,
    QUAI_SANDBOX_ISOLATION: config.isolation,
    ...options.env,
  }
  // node itself with tsx's loader (not the tsx launcher, which runs node as a child): the
  // process a test kills is the agent.
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/node/register.mjs', 'agent.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const deadline = Date.now() + 30_000
  while (!(await answers(options.tcp ? { host: '127.0.0.1', port } : { path: socketPath }))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the agent did not start:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const client = new AgentClient(address, key)
  return {
    socketPath,
    address,
    key,
    client,
    placement: new RemotePlacement(localPlacementName(config), client),
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function answers(where: { path: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(where)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
