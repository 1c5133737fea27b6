import 'server-only'
import { getDb } from '../db/client.server'
import { sandboxConfig } from './config.server'
import { AgentsPlacement } from './agents-placement.server'
import type { HeartbeatResult } from './agents.server'
import { endForDeadNode, isRestoring } from './node-access.server'
import { deadNodesOf } from './node-health'
import { endSandbox } from './sandboxes.server'
import { isStuckStart } from './start-queue.server'
import { keepOrphanDisk, reconcileKeptDisks } from './kept.server'
import { destroyAndMarkEnded, LIVE, placementParts, preparePlacement, sandboxPlacement, type PlacementPart } from './state.server'
import type { EndReason } from './types'

// Where the registry and the hosts are compared (for runtime.server.ts's loop): dead nodes on
// every health tick, reconcile at start, and with registered agents the heartbeat. Each works
// per placement part (state.server.ts placementParts): the one placement, or each agent that
// answers, so a silent agent holds up nothing and its sandboxes wait for the heartbeat's verdict.

// ---------------------------------------------------------------- dead nodes

/**
 * The health part of the runtime loop: one listing of this placement's node containers,
 * compared with the running rows. A sandbox with a stopped or vanished node is ended at once
 * (endReason node_died or node_out_of_memory), which frees its slot, disk and cgroup.
 */
export async function endSandboxesWithDeadNodes(): Promise<{ id: string; reason: EndReason }[]> {
  const ended: { id: string; reason: EndReason }[] = []
  // With several agents, each is judged on its own listing: one that does not answer leaves
  // its sandboxes alone (the heartbeat decides when it is lost), and the others go on.
  const parts = await placementParts()
  const failures: string[] = []
  for (const part of parts) {
    try {
      ended.push(...(await endDeadNodesOf(part)))
    } catch (error) {
      if (parts.length === 1) throw error
      failures.push(`${part.label}: ${(error as Error).message}`)
    }
  }
  if (failures.length) throw new Error(failures.join('; '))
  return ended
}

async function endDeadNodesOf(part: PlacementPart): Promise<{ id: string; reason: EndReason }[]> {
  const db = await getDb()
  // Rows first, then the hosts: a node created after this read is not judged on this tick.
  const running = await db.sandbox.findMany({ where: { ...part.where, status: 'running' }, select: { id: true, nodes: { select: { name: true, containerId: true } } } })
  if (running.length === 0) return []
  const dead = deadNodesOf(running, await part.placement.listNodeStates())
  const ended: { id: string; reason: EndReason }[] = []
  for (const d of dead) {
    const error = await endForDeadNode(db, d.sandboxId, d.node, d.containerId)
    if (error) ended.push({ id: d.sandboxId, reason: error.reason })
  }
  return ended
}

// ---------------------------------------------------------------- reconcile

export type ReconcileResult = {
  adopted: string[]
  ended: string[]
  removed: string[]
  /** Sandboxes gone from the registry whose disk was kept rather than removed. */
  kept: string[]
  /** Kept disk images no row knows (removed), and kept rows whose image is gone (now broken). */
  removedDisks: string[]
  brokenDisks: string[]
}

const emptyResult = (): ReconcileResult => ({ adopted: [], ended: [], removed: [], kept: [], removedDisks: [], brokenDisks: [] })

function addTo(into: ReconcileResult, from: ReconcileResult): void {
  for (const key of Object.keys(into) as (keyof ReconcileResult)[]) into[key].push(...from[key])
}

/**
 * At server start (and safe at any time, from any instance): make the hosts and the
 * registry agree. Things on the hosts labelled as Quai sandboxes with no live row are
 * removed; running rows whose nodes are gone or dead are ended (and their leftovers removed);
 * healthy ones are adopted as they are. Rows still starting are left to whoever starts them
 * unless they are too old.
 */
export async function reconcileSandboxes(): Promise<ReconcileResult> {
  await preparePlacement()
  const result = emptyResult()
  // With several agents, each that answers is reconciled on its own; one that does not is left
  // to the heartbeat (lost after QUAI_AGENT_LOST_SECONDS) and reconciled when it is back.
  const parts = await placementParts()
  for (const part of parts) {
    try {
      addTo(result, await reconcilePart(part))
    } catch (error) {
      if (parts.length === 1) throw error
    }
  }
  return result
}

async function reconcilePart({ placement, where }: PlacementPart): Promise<ReconcileResult> {
  const config = sandboxConfig()
  const db = await getDb()
  const result = emptyResult()

  const rows = await db.sandbox.findMany({ where: { ...where, status: { in: LIVE } }, include: { nodes: true } })
  const live = new Map(rows.map((r) => [r.id, r]))

  for (const id of await placement.listPlaced()) {
    if (live.has(id)) continue
    // Its sandbox ended while its host could not keep the disk (a host lost, a crash): kept now.
    if (await keepOrphanDisk(db, id).catch(() => false)) {
      result.kept.push(id)
      continue
    }
    await placement.destroy(id).catch(() => undefined)
    result.removed.push(id)
  }
  const keptOnHost = await placement.listKept().catch(() => null)
  if (keptOnHost) {
    const disks = await reconcileKeptDisks(keptOnHost, where)
    result.removedDisks.push(...disks.removed)
    result.brokenDisks.push(...disks.broken)
  }

  const now = Date.now()
  for (const row of rows) {
    if (row.status === 'starting') {
      if (isStuckStart(row, new Date(now), config)) {
        const won = await db.sandbox.updateMany({ where: { id: row.id, status: 'starting' }, data: { status: 'stopping', endReason: 'lost', endedAt: new Date() } })
        if (won.count) {
          await destroyAndMarkEnded(db, row.id)
          result.ended.push(row.id)
        }
      }
      continue
    }
    if (row.status === 'stopping') {
      await destroyAndMarkEnded(db, row.id)
      result.ended.push(row.id)
      continue
    }
    const health = await placement.health(row.id, row.nodes)
    if (isRestoring(row.restoringSince) || (health.length > 0 && health.every((h) => h.running && h.daemonAnswers))) {
      result.adopted.push(row.id)
    } else {
      await endSandbox(row.id, 'lost')
      result.ended.push(row.id)
    }
  }
  return result
}

// ---------------------------------------------------------------- agents

/**
 * With registered agents: ask each its capacity (stored for placement), and end the sandboxes
 * of one silent for QUAI_AGENT_LOST_SECONDS (endReason host_lost). Null in the other modes.
 */
export async function heartbeatSandboxAgents(options: { now?: Date; lostSeconds?: number } = {}): Promise<(HeartbeatResult & { reconciled: ReconcileResult }) | null> {
  const placement = sandboxPlacement()
  if (!(placement instanceof AgentsPlacement)) return null
  const result = await placement.heartbeat(options)
  // An agent back from lost still runs sandboxes whose rows ended: removed now, not at the next web start.
  const reconciled = emptyResult()
  for (const part of (await placementParts()).filter((p) => p.where.agentName && result.back.includes(p.where.agentName))) {
    addTo(reconciled, await reconcilePart(part))
  }
  return { ...result, reconciled }
}
