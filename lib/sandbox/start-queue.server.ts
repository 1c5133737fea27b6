import 'server-only'
import { getDb, type Db } from '../db/client.server'
import type { SandboxConfig } from './config.server'
import { serializable } from './serializable.server'
import { SandboxNotRunningError, SandboxStartError } from './types'

// The start queue. Making a sandbox's containers takes the host's CPU for about a second; on
// 2 cores, 30 of them at once each take 30 times longer and nobody gets a prompt for half a
// minute. So at most QUAI_SANDBOX_START_CONCURRENCY sandboxes of a host are being made at once
// (a host: the placement, and the quai-agent assigned before queueing when there are several);
// the others wait, in the order they were asked for. The queue is the Sandbox table
// itself, so every server instance agrees on it and can answer "where am I":
//   - a "starting" row with startedAt null is queued; its place is the queued rows created before it,
//   - a "starting" row with startedAt set holds a start slot (until it runs, fails, or is too old),
//   - queueSeenAt is refreshed by whoever still waits for the row (the request that asked for it,
//     a second tab of the same learner, the pool's warm-up). A row nobody refreshed for
//     QUEUE_ABANDONED_AFTER_MS is dropped: the learner left, or the instance holding it died.

export const QUEUE_HEARTBEAT_MS = 2_000
export const QUEUE_ABANDONED_AFTER_MS = 10_000
const POLL_MS = 200

/** What a learner waiting for a sandbox is told. */
export type StartProgress =
  | { phase: 'queued'; ahead: number }
  | { phase: 'starting' }
  | { phase: 'running' }
  | { phase: 'none' }

const secondsAgo = (now: number, seconds: number) => new Date(now - seconds * 1000)

/** Which host's queue a row waits in: its placement, and its agent when the placement has several. */
type QueueScope = { placement: string; agentName: string | null }

/** Starts that hold a slot: a start older than its timeout plus a margin no longer does (the reaper ends it). */
function slotHoldersWhere(scope: QueueScope, config: SandboxConfig, now: number) {
  return { ...scope, status: 'starting', startedAt: { gt: secondsAgo(now, config.startTimeoutSeconds + 30) } }
}

function queuedAheadWhere(scope: QueueScope, row: { id: string; createdAt: Date }, now: number) {
  return {
    ...scope,
    status: 'starting',
    startedAt: null,
    queueSeenAt: { gt: new Date(now - QUEUE_ABANDONED_AFTER_MS) },
    OR: [{ createdAt: { lt: row.createdAt } }, { createdAt: row.createdAt, id: { lt: row.id } }],
  }
}

/**
 * "starting" rows the reaper and reconcile may end as stuck: a start holding its slot past the
 * start timeout, a queued row nobody waits for, or one queued past the longest wait.
 */
export function stuckStartWhere(now: Date, config: SandboxConfig) {
  const t = now.getTime()
  return {
    OR: [
      { startedAt: { lte: secondsAgo(t, config.startTimeoutSeconds + 60) } },
      { startedAt: null, queueSeenAt: { lte: new Date(t - QUEUE_ABANDONED_AFTER_MS - 60_000) } },
      { startedAt: null, createdAt: { lte: secondsAgo(t, config.queueMaxWaitSeconds + 60) } },
    ],
  }
}

/**
 * For a loop that waits for a queued row: each call says someone still waits for it (refreshes
 * queueSeenAt), on the first call and then at most every QUEUE_HEARTBEAT_MS, and no longer once
 * `signal` is aborted.
 */
export function queuedRowHeartbeat(db: Db, sandboxId: string, signal: AbortSignal | undefined): () => Promise<void> {
  let lastSeen = -Infinity
  return async () => {
    if (signal?.aborted || Date.now() - lastSeen < QUEUE_HEARTBEAT_MS) return
    lastSeen = Date.now()
    await db.sandbox.updateMany({ where: { id: sandboxId, status: 'starting', startedAt: null }, data: { queueSeenAt: new Date() } })
  }
}

type SlotAnswer = { kind: 'started' } | { kind: 'waiting'; ahead: number } | { kind: 'gone'; status: string } | { kind: 'abandoned' } | { kind: 'too_long' }

async function trySlot(db: Db, config: SandboxConfig, placement: string, sandboxId: string): Promise<SlotAnswer> {
  const now = Date.now()
  const read = async (tx: Db): Promise<SlotAnswer | { kind: 'free'; ahead: number }> => {
    const row = await tx.sandbox.findUnique({ where: { id: sandboxId }, select: { id: true, status: true, startedAt: true, createdAt: true, queueSeenAt: true, agentName: true } })
    if (!row || row.status !== 'starting') return { kind: 'gone', status: row?.status ?? 'ended' }
    if (row.startedAt) return { kind: 'started' }
    if ((row.queueSeenAt ?? row.createdAt).getTime() < now - QUEUE_ABANDONED_AFTER_MS) return { kind: 'abandoned' }
    if (row.createdAt.getTime() < now - config.queueMaxWaitSeconds * 1000) return { kind: 'too_long' }
    const scope = { placement, agentName: row.agentName }
    const [holders, ahead] = await Promise.all([tx.sandbox.count({ where: slotHoldersWhere(scope, config, now) }), tx.sandbox.count({ where: queuedAheadWhere(scope, row, now) })])
    // Those ahead take the free slots first; several rows may leave the queue in the same instant.
    return holders + ahead < config.startConcurrency ? { kind: 'free', ahead } : { kind: 'waiting', ahead }
  }
  // A plain read first: most polls find no free slot and need no transaction.
  const seen = await read(db)
  if (seen.kind !== 'free') return seen
  return serializable(db, async (tx) => {
    const again = await read(tx)
    if (again.kind !== 'free') return again
    const taken = await tx.sandbox.updateMany({ where: { id: sandboxId, status: 'starting', startedAt: null }, data: { startedAt: new Date() } })
    return taken.count === 1 ? { kind: 'started' } : { kind: 'gone', status: 'ended' }
  })
}

/**
 * Wait until this starting row holds a start slot. Refreshes the row while `signal` is not
 * aborted (the learner's request is still open). Throws SandboxNotRunningError when the row was
 * stopped or dropped while queued (nothing was made, so it is ended here), SandboxStartError
 * when it waited longer than QUAI_SANDBOX_QUEUE_MAX_WAIT_SECONDS.
 */
export async function waitForStartSlot(
  config: SandboxConfig,
  placement: string,
  sandboxId: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const db = await getDb()
  const heartbeat = queuedRowHeartbeat(db, sandboxId, options.signal)
  for (;;) {
    await heartbeat()
    const answer = await trySlot(db, config, placement, sandboxId)
    switch (answer.kind) {
      case 'started':
        return
      case 'waiting':
        await new Promise((r) => setTimeout(r, POLL_MS))
        continue
      case 'gone':
        // Stopped while queued: no container was made, so there is nothing to remove.
        await db.sandbox.updateMany({ where: { id: sandboxId, status: 'stopping', startedAt: null }, data: { status: 'ended', endedAt: new Date() } })
        throw new SandboxNotRunningError('ended')
      case 'abandoned':
        await endQueued(db, sandboxId, 'abandoned', 'nobody waited for it in the start queue any more')
        throw new SandboxNotRunningError('ended')
      case 'too_long':
        await endQueued(db, sandboxId, 'failed', `waited more than ${config.queueMaxWaitSeconds} s for a start slot`)
        throw new SandboxStartError(`the server is starting many sandboxes; waited more than ${config.queueMaxWaitSeconds} s, try again`)
    }
  }
}

async function endQueued(db: Db, sandboxId: string, endReason: string, error: string): Promise<void> {
  const now = new Date()
  await db.sandbox.updateMany({
    where: { id: sandboxId, status: 'starting', startedAt: null },
    data: { status: endReason === 'failed' ? 'failed' : 'ended', endReason, error, endedAt: now },
  })
}

/** Where the user's sandbox start stands (any instance can answer: it is all in the database). */
export async function startProgress(userId: string, placement: string): Promise<StartProgress> {
  const db = await getDb()
  const row = await db.sandbox.findFirst({
    where: { userId, placement, status: { in: ['starting', 'running'] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, status: true, startedAt: true, createdAt: true, agentName: true },
  })
  if (!row) return { phase: 'none' }
  if (row.status === 'running') return { phase: 'running' }
  if (row.startedAt) return { phase: 'starting' }
  return { phase: 'queued', ahead: await db.sandbox.count({ where: queuedAheadWhere({ placement, agentName: row.agentName }, row, Date.now()) }) }
}

/** stuckStartWhere, for one row already read. */
export function isStuckStart(row: { startedAt: Date | null; queueSeenAt: Date | null; createdAt: Date }, now: Date, config: SandboxConfig): boolean {
  const t = now.getTime()
  if (row.startedAt) return row.startedAt.getTime() <= t - (config.startTimeoutSeconds + 60) * 1000
  if (row.queueSeenAt && row.queueSeenAt.getTime() <= t - QUEUE_ABANDONED_AFTER_MS - 60_000) return true
  return row.createdAt.getTime() <= t - (config.queueMaxWaitSeconds + 60) * 1000
}
