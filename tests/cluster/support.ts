// The simulated cluster seen from a test: a real quai-agent inside a node driven from the host
// through the RemotePlacement client (the same client quai-web uses). The scripts and the nodes'
// engines: ./cluster-scripts.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { AgentClient } from '../../lib/sandbox/agent/client.server'
import { parseAgentKey } from '../../lib/sandbox/agent/signing'
import type { CreateSandboxSpec, PlacedSandbox } from '../../lib/sandbox/placement'
import { RemotePlacement } from '../../lib/sandbox/remote-placement.server'
import { clusterRunDir } from './cluster-scripts'

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
export async function createSmallSandbox(placement: RemotePlacement, sandboxId = newSandboxId(), resume?: CreateSandboxSpec['resume']): Promise<PlacedSandbox> {
  return placement.create({
    sandboxId,
    userId: 'cluster-test',
    pooled: false,
    nodes: [{ name: 'node1', role: 'standalone' }],
    limits: { memoryMb: 768, cpus: 1, pids: 1024, diskMb: 1024 },
    ...(resume ? { resume } : {}),
  })
}

