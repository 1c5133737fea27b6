import 'server-only'
import fs from 'node:fs'
import { getEnv } from '../env.server'
import { dockerProblemOf } from '../docker/diagnose.server'
import type { Db } from '../db/client.server'
import { sandboxConfig, type SandboxConfig } from './config.server'
import { AgentClient } from './agent/client.server'
import { AgentsPlacement } from './agents-placement.server'
import { parseAgentKey } from './agent/signing'
import { LocalPlacement, localPlacementName } from './local-placement.server'
import { RemotePlacement } from './remote-placement.server'
import type { SandboxPlacement } from './placement'
import { diskToKeep, keepSandboxDisk, markDiskRemoved } from './disk-keeping.server'
import { layoutFromKey, sandboxStatuses, SandboxUnavailableError, type SandboxStatus, type SandboxView } from './types'

// What every part of lib/sandbox shares: the sandbox rows as stored (the database is the
// registry), their view, and the placement that runs them.

export type SandboxRow = NonNullable<Awaited<ReturnType<Db['sandbox']['findUnique']>>>
type NodeRow = { name: string; containerId: string | null; socketPath: string | null; hostname: string }
export type SandboxWithNodes = SandboxRow & { nodes: NodeRow[] }

export const LIVE: SandboxStatus[] = ['starting', 'running', 'stopping']

// ---------------------------------------------------------------- placement

let placementInstance: SandboxPlacement | null = null

/**
 * The placement that runs sandboxes (docs/sandbox.md):
 *  - no QUAI_AGENT_KEY_FILE: this host's engine, in this process (the embedded default);
 *  - QUAI_AGENT_SOCKET and the key: the one quai-agent on that socket;
 *  - the key alone: the quai-agents registered in the database (npm run agents -- add).
 */
export function sandboxPlacement(): SandboxPlacement {
  placementInstance ??= placementFromEnv()
  return placementInstance
}

function placementFromEnv(): SandboxPlacement {
  const env = getEnv()
  const config = sandboxConfig()
  if (!env.QUAI_AGENT_KEY_FILE) return new LocalPlacement(config)
  const key = parseAgentKey(fs.readFileSync(env.QUAI_AGENT_KEY_FILE, 'utf8'), env.QUAI_AGENT_KEY_FILE)
  if (!env.QUAI_AGENT_SOCKET) return new AgentsPlacement(config, key)
  // Stored in Sandbox.placement: the same name the agent's LocalPlacement has, so a web that
  // moves between the two modes on one host keeps reconciling the same sandboxes.
  return new RemotePlacement(localPlacementName(config), new AgentClient(env.QUAI_AGENT_SOCKET, key))
}

/** What the runtime works on one at a time: the placement, or each answering agent with its sandboxes' rows. */
export type PlacementPart = { label: string; placement: SandboxPlacement; where: { placement: string; agentName?: string } }

export async function placementParts(): Promise<PlacementPart[]> {
  const placement = sandboxPlacement()
  if (!(placement instanceof AgentsPlacement)) return [{ label: placement.name, placement, where: { placement: placement.name } }]
  return (await placement.parts()).map((p) => ({ label: `agent ${p.agent.name}`, placement: p.placement, where: { placement: placement.name, agentName: p.agent.name } }))
}

/** Tests swap the placement or reset it after changing the configuration. */
export function setSandboxPlacementForTests(placement: SandboxPlacement | null): void {
  placementInstance = placement
}

/** The placement's one-time set-up; a Docker problem becomes SandboxUnavailableError (with its fix). */
export async function preparePlacement(): Promise<void> {
  try {
    await sandboxPlacement().prepare()
  } catch (error) {
    const problem = dockerProblemOf(error)
    throw new SandboxUnavailableError(problem ? problem.message : (error as Error).message, error)
  }
}

// ---------------------------------------------------------------- views

export const asStatus = (s: string): SandboxStatus => ((sandboxStatuses as readonly string[]).includes(s) ? (s as SandboxStatus) : 'failed')

export function toView(row: SandboxWithNodes, config: SandboxConfig = sandboxConfig()): SandboxView {
  const layout = layoutFromKey(row.layoutKey)
  const roleOf = (name: string) => layout.nodes.find((n) => n.name === name)?.role ?? 'standalone'
  const order = (name: string) => {
    const i = layout.nodes.findIndex((n) => n.name === name)
    return i < 0 ? 999 : i
  }
  const idleExpiresAt = new Date(row.lastActivityAt.getTime() + config.idleMinutes * 60_000)
  return {
    id: row.id,
    userId: row.userId,
    status: asStatus(row.status),
    nodes: [...row.nodes].sort((a, b) => order(a.name) - order(b.name)).map((n) => ({ name: n.name, role: roleOf(n.name), hostname: n.hostname })),
    lessonKey: row.lessonKey,
    createdAt: row.createdAt,
    lastActivityAt: row.lastActivityAt,
    expiresAt: new Date(Math.min(idleExpiresAt.getTime(), row.expiresAt.getTime())),
    idleExpiresAt,
    maxExpiresAt: row.expiresAt,
    idleTimeoutSeconds: config.idleMinutes * 60,
    endReason: row.endReason,
    error: row.error,
  }
}

export async function loadRow(db: Db, sandboxId: string): Promise<SandboxWithNodes | null> {
  const row = await db.sandbox.findUnique({ where: { id: sandboxId }, include: { nodes: true } })
  const placement = sandboxPlacement()
  if (row && placement instanceof AgentsPlacement) await placement.noteHolder(row.id, row.agentName)
  return row
}

/**
 * Remove what the sandbox has on its hosts, or keep its disk (disk-keeping.server.ts), and mark
 * it ended; on failure it stays "stopping" for the reaper.
 */
export async function destroyAndMarkEnded(db: Db, sandboxId: string): Promise<void> {
  try {
    const row = await db.sandbox.findUnique({ where: { id: sandboxId }, select: { diskId: true, endReason: true } })
    const keep = row ? await diskToKeep(db, row) : null
    if (keep) {
      await keepSandboxDisk(db, sandboxPlacement(), sandboxId, keep)
    } else {
      await sandboxPlacement().destroy(sandboxId)
      if (row?.diskId) await markDiskRemoved(db, row.diskId, row.endReason === 'reset' ? 'reset' : 'not_kept')
    }
  } catch (error) {
    // Left as "stopping": the reaper tries again.
    await db.sandbox.updateMany({ where: { id: sandboxId }, data: { error: (error as Error).message.slice(0, 2000) } })
    return
  }
  await db.sandbox.updateMany({ where: { id: sandboxId, status: 'stopping' }, data: { status: 'ended', endedAt: new Date() } })
}
