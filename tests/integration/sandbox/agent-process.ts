// A real quai-agent process (agent.ts) for the tests, on this test file's sandbox namespace and
// a socket and key of its own; and a RemotePlacement that talks to it.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { AgentClient } from '../../../lib/sandbox/agent/client.server'
import { parseAgentKey } from '../../../lib/sandbox/agent/signing'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { localPlacementName } from '../../../lib/sandbox/local-placement.server'
import { RemotePlacement } from '../../../lib/sandbox/remote-placement.server'

const root = path.resolve(import.meta.dirname, '../../..')

export type TestAgent = { socketPath: string; key: Buffer; placement: RemotePlacement; client: AgentClient; process: ChildProcess; output: () => string; stop(): Promise<void> }

export async function startTestAgent(): Promise<TestAgent> {
  const config = sandboxConfig()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-agent-'))
  const socketPath = path.join(dir, 'agent.sock')
  const keyFile = path.join(dir, 'agent.key')
  fs.writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url'), { mode: 0o600 })
  const key = parseAgentKey(fs.readFileSync(keyFile, 'utf8'), keyFile)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    QUAI_AGENT_SOCKET: socketPath,
    QUAI_AGENT_KEY_FILE: keyFile,
    QUAI_AGENT_NAME: `test-${config.namespace}`,
    QUAI_SANDBOX_NAMESPACE: config.namespace,
    QUAI_SANDBOX_STATE_DIR: config.stateDir,
    QUAI_SANDBOX_RUN_DIR: config.runDir,
    QUAI_SANDBOX_CGROUP_PARENT: config.cgroupParent,
    QUAI_SANDBOX_DISK: config.disk,
    QUAI_SANDBOX_ISOLATION: config.isolation,
  }
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['--import', './scripts/node/register.mjs', 'agent.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const deadline = Date.now() + 30_000
  while (!(await answers(socketPath))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the agent did not start:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const client = new AgentClient(socketPath, key)
  return {
    socketPath,
    key,
    client,
    placement: new RemotePlacement(localPlacementName(config), client),
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
