import 'server-only'
import { z } from 'zod'
import { getDb, type Db } from '../db/client.server'
import { getEnv } from '../env.server'
import type { AgentCandidate, AgentCapacity } from './agent-choice'
import { parseAgentAddress } from './agent/address'
import type { AgentClient } from './agent/client.server'

// The registry of quai-agents (SandboxAgent rows). quai-web writes it: agents hold no database
// credentials. An operator adds and drains agents (scripts/agents.ts); the runtime's heartbeat
// asks each one its capacity, and ends the sandboxes of one that stopped answering.

/** As in state.server.ts (not imported: state.server.ts imports this module's placement). */
const LIVE = ['starting', 'running', 'stopping']

export type AgentRow = NonNullable<Awaited<ReturnType<Db['sandboxAgent']['findUnique']>>>

const agentNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, . _ - (at most 63)')
const capacitySchema = z.object({ memoryFreeMb: z.number(), memoryTotalMb: z.number(), diskFreeMb: z.number(), runningSandboxes: z.number(), images: z.array(z.string()), mirrorImages: z.array(z.string()).default([]) })

export function parseCapacity(json: string | null): AgentCapacity | null {
  if (!json) return null
  try {
    const parsed = capacitySchema.safeParse(JSON.parse(json))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

export async function listAgents(db?: Db): Promise<AgentRow[]> {
  return (db ?? (await getDb())).sandboxAgent.findMany({ orderBy: { name: 'asc' } })
}

/** Register an agent, or change its address. */
export async function addAgent(name: string, address: string): Promise<AgentRow> {
  agentNameSchema.parse(name)
  if (!parseAgentAddress(address)) throw new Error(`not an agent address: ${address} (a unix socket path, or http://ip:port)`)
  const db = await getDb()
  return db.sandboxAgent.upsert({ where: { name }, create: { name, address }, update: { address } })
}

/** A draining agent takes no new sandbox and keeps its running ones. False when there is no such agent. */
export async function setDraining(name: string, draining: boolean): Promise<boolean> {
  const db = await getDb()
  return (await db.sandboxAgent.updateMany({ where: { name }, data: { draining } })).count > 0
}

/** Forget an agent; refused while it holds live sandboxes (drain it and wait, or let it be lost). */
export async function removeAgent(name: string): Promise<{ removed: boolean; live: number }> {
  const db = await getDb()
  const live = await db.sandbox.count({ where: { agentName: name, status: { in: LIVE } } })
  if (live > 0) return { removed: false, live }
  return { removed: (await db.sandboxAgent.deleteMany({ where: { name } })).count > 0, live: 0 }
}

/** An agent unheard for this long gets no new sandbox (the heartbeat asks every 10 s), well before it is lost. */
export const silentAfterMs = 30_000

/** The registry as chooseAgent sees it, with the sandboxes placed since each agent's last heartbeat. */
export async function agentCandidates(db: Db, now: Date = new Date()): Promise<AgentCandidate[]> {
  const [agents, live] = await Promise.all([
    listAgents(db),
    db.sandbox.groupBy({ by: ['agentName'], where: { agentName: { not: null }, status: { in: ['starting', 'running'] } }, _count: { _all: true } }),
  ])
  return agents.map((a) => {
    const capacity = parseCapacity(a.capacity)
    const placed = live.find((l) => l.agentName === a.name)?._count._all ?? 0
    return {
      name: a.name,
      draining: a.draining,
      lost: a.lostAt !== null,
      silent: !a.lastSeenAt || now.getTime() - a.lastSeenAt.getTime() > silentAfterMs,
      capacity,
      placedSinceHeartbeat: capacity ? Math.max(0, placed - capacity.runningSandboxes) : 0,
    }
  })
}

/** `back`: agents that were lost and answer again (what they still hold has no live row: reconcile it). */
export type HeartbeatResult = { seen: string[]; silent: string[]; lost: { agent: string; sandboxes: string[] }[]; back: string[] }

/**
 * Ask every registered agent its capacity (the heartbeat) and store the answer. One that has not
 * answered for `lostSeconds` is marked lost once, and its live sandboxes end with host_lost:
 * their learners are told and can start a new sandbox, which goes to another agent. If it comes
 * back, it is no longer lost (and the runtime reconciles it: what it still holds has no live row).
 */
export async function heartbeatAgents(clientOf: (agent: AgentRow) => AgentClient, options: { now?: Date; lostSeconds?: number; timeoutMs?: number } = {}): Promise<HeartbeatResult> {
  const now = options.now ?? new Date()
  const lostSeconds = options.lostSeconds ?? getEnv().QUAI_AGENT_LOST_SECONDS
  const db = await getDb()
  const result: HeartbeatResult = { seen: [], silent: [], lost: [], back: [] }
  await Promise.all(
    (await listAgents(db)).map(async (agent) => {
      try {
        const capacity = await clientOf(agent)
          .withTimeout(options.timeoutMs ?? 5_000)
          .call('capacity', {})
        await db.sandboxAgent.updateMany({ where: { name: agent.name }, data: { capacity: JSON.stringify(capacity), lastSeenAt: new Date(), lostAt: null } })
        result.seen.push(agent.name)
        if (agent.lostAt) result.back.push(agent.name)
      } catch {
        result.silent.push(agent.name)
        const lastHeard = agent.lastSeenAt ?? agent.createdAt
        if (agent.lostAt || now.getTime() - lastHeard.getTime() < lostSeconds * 1000) return
        const marked = await db.sandboxAgent.updateMany({ where: { name: agent.name, lostAt: null }, data: { lostAt: now } })
        // Another web instance may have marked it on the same tick: only one ends the sandboxes.
        if (marked.count) result.lost.push({ agent: agent.name, sandboxes: await endSandboxesOfLostAgent(db, agent.name, now) })
      }
    }),
  )
  return result
}

/** Its live sandboxes end at once (nothing can be removed on a host that does not answer). */
async function endSandboxesOfLostAgent(db: Db, agentName: string, now: Date): Promise<string[]> {
  const rows = await db.sandbox.findMany({ where: { agentName, status: { in: LIVE } }, select: { id: true } })
  if (rows.length === 0) return []
  await db.sandbox.updateMany({
    where: { id: { in: rows.map((r) => r.id) }, status: { in: LIVE } },
    data: { status: 'ended', endReason: 'host_lost', endedAt: now, error: `quai-agent ${agentName} stopped answering` },
  })
  return rows.map((r) => r.id)
}
