import 'server-only'
import { getDb, type Db } from '../db/client.server'
import { sandboxConfig, type SandboxConfig } from './config.server'
import { getLessonByKey } from '../content/lessons.server'
import { seedLessonFiles } from './lesson-files.server'
import { endSandbox, reserve, startSandbox, type Reservation } from './sandboxes.server'
import { poolTargets } from './session-pool.server'
import { maintainKeptDisks } from './kept.server'
import { stuckStartWhere } from './start-queue.server'
import { AgentsPlacement } from './agents-placement.server'
import { endSandboxesWithDeadNodes, heartbeatSandboxAgents, reconcileSandboxes } from './reconcile.server'
import { destroyAndMarkEnded, placementParts, preparePlacement, sandboxPlacement, type SandboxWithNodes } from './state.server'
import { layoutFromKey, SandboxCapacityError, type EndReason } from './types'

export { endSandboxesWithDeadNodes, heartbeatSandboxAgents, reconcileSandboxes, type ReconcileResult } from './reconcile.server'

// The sandbox runtime loop, for server.ts: reconcile at start, then on a timer reap what is
// past its time, keep the warm pool at its targets, end the sandboxes whose node died, and hear
// the registered agents (the comparisons of registry and hosts are in reconcile.server.ts).
// Like the rest of lib/sandbox it keeps no state of its own: any instance may run it.

// ---------------------------------------------------------------- reaping

export type ReapResult = { ended: { id: string; reason: EndReason }[]; failed: string[]; retried: string[] }

/** End sandboxes past their idle timeout or maximum lifetime; finish stuck starts and stops. */
export async function reapExpiredSandboxes(now: Date = new Date()): Promise<ReapResult> {
  const config = sandboxConfig()
  const db = await getDb()
  const result: ReapResult = { ended: [], failed: [], retried: [] }
  const idleCutoff = new Date(now.getTime() - config.idleMinutes * 60_000)
  // Each placement reaps its own sandboxes (it is the one that can remove them).
  const placement = sandboxPlacement().name
  const due = await db.sandbox.findMany({
    where: { placement, status: 'running', OR: [{ expiresAt: { lte: now } }, { userId: { not: config.poolUserId }, lastActivityAt: { lte: idleCutoff } }] },
    select: { id: true, expiresAt: true },
  })
  for (const s of due) {
    const reason: EndReason = s.expiresAt <= now ? 'expired' : 'idle'
    await endSandbox(s.id, reason)
    result.ended.push({ id: s.id, reason })
  }
  for (const s of await db.sandbox.findMany({ where: { placement, status: 'starting', ...stuckStartWhere(now, config) }, select: { id: true } })) {
    const won = await db.sandbox.updateMany({ where: { id: s.id, status: 'starting' }, data: { status: 'stopping', endReason: 'failed', error: 'did not start in time', endedAt: now } })
    if (won.count) {
      await destroyAndMarkEnded(db, s.id)
      await db.sandbox.updateMany({ where: { id: s.id, status: 'ended' }, data: { status: 'failed' } })
      result.failed.push(s.id)
    }
  }
  const stuckStop = new Date(now.getTime() - 60_000)
  for (const s of await db.sandbox.findMany({ where: { placement, status: 'stopping', endedAt: { lte: stuckStop } }, select: { id: true } })) {
    await destroyAndMarkEnded(db, s.id)
    result.retried.push(s.id)
  }
  return result
}

// ---------------------------------------------------------------- warm pool

async function ensurePoolUser(db: Db, config: SandboxConfig): Promise<void> {
  await db.user.upsert({
    where: { id: config.poolUserId },
    create: { id: config.poolUserId, name: 'Quai warm pool', email: `${config.poolUserId}@pool.quai.invalid` },
    update: {},
  })
}

/**
 * Bring the warm pool to its targets (lib/sandbox/session-pool.server.ts): QUAI_SANDBOX_POOL_SIZE
 * single-node sandboxes, plus, around a scheduled class session, one of the lesson's layout per
 * student of the class who has no sandbox yet. Ready pooled sandboxes beyond a target are ended
 * (after a session the pool shrinks back). Claimed ones leave the pool at once (owner changes).
 * Returns how many were started.
 */
export async function fillPool(now: Date = new Date()): Promise<number> {
  const config = sandboxConfig()
  const db = await getDb()
  const placement = sandboxPlacement().name
  const targets = await poolTargets(config, now)
  const pooledWhere = { placement, userId: config.poolUserId, fromPool: true }
  const present = await db.sandbox.groupBy({ by: ['layoutKey', 'lessonKey'], where: { ...pooledWhere, status: { in: ['starting', 'running'] } }, _count: { _all: true } })
  const layouts = new Set([...targets.keys(), ...present.map((p) => p.layoutKey)])
  if (layouts.size === 0) return 0
  await preparePlacement()
  await ensurePoolUser(db, config)
  const reserved: SandboxWithNodes[] = []
  for (const key of layouts) {
    const target = targets.get(key)
    const wanted = target?.count ?? 0
    const have = present.filter((p) => p.layoutKey === key).reduce((n, p) => n + p._count._all, 0)
    // A pooled row's lessonKey is the session lesson it is warmed for (null: any lesson).
    const lessonsToWarm = [...(target?.lessons ?? [])].flatMap(([lessonKey, n]) => {
      const warmed = present.find((p) => p.layoutKey === key && p.lessonKey === lessonKey)?._count._all ?? 0
      return Array.from({ length: Math.max(0, n - warmed) }, () => lessonKey)
    })
    for (let i = have; i < wanted; i++) {
      let r: Reservation
      try {
        r = await reserve(db, config, config.poolUserId, layoutFromKey(key), lessonsToWarm.shift() ?? null, true, wanted)
      } catch (error) {
        if (error instanceof SandboxCapacityError) break
        throw error
      }
      if (r.kind !== 'created') break
      reserved.push(r.row)
    }
    const spare = await db.sandbox.findMany({ where: { ...pooledWhere, layoutKey: key, status: 'running' }, orderBy: { createdAt: 'desc' }, select: { id: true } })
    for (const extra of spare.slice(0, Math.max(0, have - wanted))) await endSandbox(extra.id, 'pool')
  }
  // All at once: the start queue lets QUAI_SANDBOX_START_CONCURRENCY of them run together.
  const results = await Promise.allSettled(reserved.map(async (row) => warmLessonFiles(db, await startSandbox(db, row, config.poolUserId, true, config))))
  const failure = results.find((r) => r.status === 'rejected')
  if (failure && results.every((r) => r.status === 'rejected')) throw failure.reason
  return results.filter((r) => r.status === 'fulfilled').length
}

/**
 * A pooled sandbox warmed for a class session's lesson gets that lesson's files now, so that the
 * student's claim copies nothing (a copy into 30 nodes at once is what times out in a class
 * burst). Marked on the row only while the pool still owns it; a failure leaves the copy to the claim.
 */
async function warmLessonFiles(db: Db, row: SandboxWithNodes): Promise<void> {
  const lesson = getLessonByKey(row.lessonKey)
  if (!lesson || !row.lessonKey) return
  try {
    await seedLessonFiles(row.id, row.nodes.map((n) => n.name), lesson)
  } catch {
    return
  }
  await db.sandbox.updateMany({ where: { id: row.id, userId: row.userId, status: 'running' }, data: { seededLessonKey: row.lessonKey } })
}

// ---------------------------------------------------------------- limits

/**
 * Every running sandbox's limits put back where new cgroups miss them (cgroup v1 I/O
 * throttling: the learner's inner containers started since the last tick). Reads each cgroup's
 * rules and writes only the missing ones. Returns how many sandboxes were looked at.
 */
export async function reapplySandboxLimits(): Promise<number> {
  const db = await getDb()
  let count = 0
  for (const { placement, where } of await placementParts()) {
    const running = await db.sandbox.findMany({ where: { ...where, status: 'running' }, select: { id: true } })
    for (const s of running) await placement.reapplyLimits(s.id).catch(() => undefined)
    count += running.length
  }
  return count
}

// ---------------------------------------------------------------- background work

let timer: NodeJS.Timeout | null = null
let healthTimer: NodeJS.Timeout | null = null
let heartbeatTimer: NodeJS.Timeout | null = null

/**
 * For server.ts at start: reconcile, then every `intervalMs` reap and refill the pool, and
 * every `healthIntervalMs` end the sandboxes whose node died (one container listing per tick,
 * so a dead daemon is noticed within about that interval plus the listing).
 * Errors are logged, never thrown (a server without Docker still serves lessons).
 */
export async function startSandboxRuntime(options: { intervalMs?: number; healthIntervalMs?: number; heartbeatIntervalMs?: number; log?: (m: string) => void } = {}): Promise<void> {
  const log = options.log ?? ((m: string) => console.warn(`[sandbox] ${m}`))
  // Before reconcile: placement needs the agents' capacity.
  const heartbeat = async () => {
    try {
      const r = await heartbeatSandboxAgents()
      for (const lost of r?.lost ?? []) log(`quai-agent ${lost.agent} lost: ${lost.sandboxes.length} sandbox(es) ended (host_lost)`)
      for (const back of r?.back ?? []) log(`quai-agent ${back} answers again (${r?.reconciled.removed.length ?? 0} leftover sandbox(es) removed)`)
    } catch (error) {
      log(`agents: ${(error as Error).message}`)
    }
  }
  if (sandboxPlacement() instanceof AgentsPlacement) await heartbeat()
  try {
    const r = await reconcileSandboxes()
    if (r.removed.length || r.ended.length || r.adopted.length) log(`reconciled: adopted ${r.adopted.length}, ended ${r.ended.length}, removed ${r.removed.length}`)
  } catch (error) {
    log(`sandboxes unavailable: ${(error as Error).message}`)
  }
  if (timer) return
  const tick = async () => {
    try {
      await reapExpiredSandboxes()
      await fillPool()
      await maintainKeptDisks()
    } catch (error) {
      log(`maintenance: ${(error as Error).message}`)
    }
    await reapplySandboxLimits().catch((error: unknown) => log(`limits: ${(error as Error).message}`))
  }
  timer = setInterval(() => void tick(), options.intervalMs ?? 30_000)
  timer.unref()
  void tick()

  // A slow engine must not pile up listings: a tick still running skips the next one.
  let healthRunning = false
  const healthTick = async () => {
    if (healthRunning) return
    healthRunning = true
    try {
      const ended = await endSandboxesWithDeadNodes()
      for (const e of ended) log(`sandbox ${e.id} ended: ${e.reason}`)
    } catch (error) {
      log(`health: ${(error as Error).message}`)
    } finally {
      healthRunning = false
    }
  }
  healthTimer = setInterval(() => void healthTick(), options.healthIntervalMs ?? 5_000)
  healthTimer.unref()

  if (sandboxPlacement() instanceof AgentsPlacement) {
    // A lost agent is noticed within QUAI_AGENT_LOST_SECONDS plus this interval.
    heartbeatTimer = setInterval(() => void heartbeat(), options.heartbeatIntervalMs ?? 10_000)
    heartbeatTimer.unref()
  }
}

export function stopSandboxRuntime(): void {
  if (timer) clearInterval(timer)
  if (healthTimer) clearInterval(healthTimer)
  if (heartbeatTimer) clearInterval(heartbeatTimer)
  timer = null
  healthTimer = null
  heartbeatTimer = null
}
