// The simulated cluster (scripts/cluster/*.sh, docs/cluster.md) seen from a test or a script:
// its scripts, each node's engine on its unix socket, and a real quai-agent inside a node
// driven from the host through the RemotePlacement client (the same client quai-web uses).
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { AgentClient } from '../../lib/sandbox/agent/client.server'
import { parseAgentKey } from '../../lib/sandbox/agent/signing'
import type { PlacedSandbox } from '../../lib/sandbox/placement'
import { RemotePlacement } from '../../lib/sandbox/remote-placement.server'

const run = promisify(execFile)
export const root = path.resolve(import.meta.dirname, '../..')
export const clusterRunDir = process.env.QUAI_CLUSTER_RUN_DIR ?? '/run/quai-cluster'

export const nodeSocket = (n: number) => path.join(clusterRunDir, `node-${n}`, 'docker.sock')

/** Runs one of scripts/cluster/*.sh; resolves with its stdout (key=value lines) and stderr. */
export async function clusterScript(script: string, args: string[] = [], timeoutMs = 600_000): Promise<{ stdout: string; stderr: string; values: Record<string, string> }> {
  const { stdout, stderr } = await run('bash', [path.join(root, 'scripts/cluster', script), ...args], { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
  const values: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const m = /^([a-z0-9_]+)=(.*)$/.exec(line.trim())
    if (m?.[1] !== undefined) values[m[1]] = m[2] ?? ''
  }
  return { stdout, stderr, values }
}

/** `docker -H unix://<node N's socket> ...` from the host. */
export async function nodeDocker(n: number, args: string[], timeoutMs = 180_000): Promise<string> {
  const { stdout } = await run('docker', ['-H', `unix://${nodeSocket(n)}`, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })
  return stdout.trim()
}

/** The RemotePlacement of the quai-agent that scripts/cluster/agent.sh started in node N. */
export function clusterAgentPlacement(n: number): { placement: RemotePlacement; client: AgentClient; socketPath: string } {
  const dir = path.join(clusterRunDir, `node-${n}`)
  const keyFile = path.join(dir, 'agent.key')
  const key = parseAgentKey(fs.readFileSync(keyFile, 'utf8'), keyFile)
  const socketPath = path.join(dir, 'agent.sock')
  const client = new AgentClient(socketPath, key)
  // The agent's sandbox namespace is "cluster" (agent.sh): its placement is local-cluster.
  return { placement: new RemotePlacement('local-cluster', client), client, socketPath }
}

export const newSandboxId = () => `cl${crypto.randomBytes(6).toString('hex')}`

/** A one-node sandbox with small limits, as quai-web would ask an agent for one. */
export async function createSmallSandbox(placement: RemotePlacement, sandboxId = newSandboxId()): Promise<PlacedSandbox> {
  return placement.create({
    sandboxId,
    userId: 'cluster-test',
    pooled: false,
    nodes: [{ name: 'node1', role: 'standalone' }],
    limits: { memoryMb: 768, cpus: 1, pids: 1024, diskMb: 1024 },
  })
}

export const ms = (t0: number) => Math.round(performance.now() - t0)
