import 'server-only'
import crypto from 'node:crypto'
import { getDb, type Db } from '../db/client.server'
import type { DockerClient, ExecResult, ExecSession } from '../docker/engine.server'
import { sandboxConfig, type SandboxConfig } from './config.server'
import { dockerProblemOf, LocalPlacement } from './local-placement.server'
import { serializable } from './serializable.server'
import { poolTargets } from './session-pool.server'
import { isStuckStart, queuedRowHeartbeat, stuckStartWhere, waitForStartSlot } from './start-queue.server'
import { deadNodesOf, deathDescription, deathReasonOf } from './node-health'
import type { ExecInNodeOptions, NodeRef, OpenShellOptions, SandboxPlacement } from './placement'
import {
  defaultLayout,
  layoutFromKey,
  layoutKey,
  SandboxCapacityError,
  SandboxError,
  SandboxNodeNotFoundError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxNotYoursError,
  SandboxRateLimitError,
  sandboxLayoutSchema,
  SandboxStartError,
  sandboxStatuses,
  SandboxUnavailableError,
  isNodeDeathReason,
  SandboxNodeDiedError,
  type EndReason,
  type SandboxLayout,
  type SandboxStatus,
  type SandboxView,
} from './types'

// The sandbox lifecycle. The database is the registry: any server instance can find, reuse,
// reap, reconcile or claim any sandbox, and no decision depends on this process's memory
// (the only in-memory things are caches: the placement's one-time host checks and the
// touch throttle). Decisions that must not race (one live sandbox per learner, capacity,
// creation rate, pool claims) are taken in serializable transactions, retried on conflict.

type SandboxRow = NonNullable<Awaited<ReturnType<Db['sandbox']['findUnique']>>>
type NodeRow = { name: string; containerId: string | null; socketPath: string | null; hostname: string }
type SandboxWithNodes = SandboxRow & { nodes: NodeRow[] }

const LIVE: SandboxStatus[] = ['starting', 'running', 'stopping']

// ---------------------------------------------------------------- placement

let placementInstance: SandboxPlacement | null = null

/** The placement that runs sandboxes (the local Docker engine). */
export function sandboxPlacement(): SandboxPlacement {
  placementInstance ??= new LocalPlacement(sandboxConfig())
  return placementInstance
}

/** Tests swap the placement or reset it after changing the configuration. */
export function setSandboxPlacementForTests(placement: SandboxPlacement | null): void {
  placementInstance = placement
}

// ---------------------------------------------------------------- views

const asStatus = (s: string): SandboxStatus => ((sandboxStatuses as readonly string[]).includes(s) ? (s as SandboxStatus) : 'failed')

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

async function loadRow(db: Db, sandboxId: string): Promise<SandboxWithNodes | null> {
  return db.sandbox.findUnique({ where: { id: sandboxId }, include: { nodes: true } })
}

// ---------------------------------------------------------------- ownership

/** The sandbox if it exists and is this user's; null otherwise (whatever its status). */
export async function getOwnedSandbox(userId: string, sandboxId: string): Promise<SandboxView | null> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row || row.userId !== userId) return null
  return toView(row)
}

/** The user's running sandbox; throws SandboxNotFoundError, SandboxNotYoursError or SandboxNotRunningError. */
export async function requireRunningSandbox(userId: string, sandboxId: string): Promise<SandboxView> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) throw new SandboxNotFoundError()
  if (row.userId !== userId) throw new SandboxNotYoursError()
  if (row.status !== 'running') throw new SandboxNotRunningError(asStatus(row.status))
  return toView(row)
}

/** The user's live (starting or running) sandbox, if any. */
export async function getCurrentSandbox(userId: string): Promise<SandboxView | null> {
  const db = await getDb()
  const row = await db.sandbox.findFirst({ where: { userId, status: { in: ['starting', 'running'] } }, include: { nodes: true }, orderBy: { createdAt: 'desc' } })
  return row ? toView(row) : null
}

// ---------------------------------------------------------------- transactions

function newSandboxId(): string {
  // 12 characters of [a-z0-9]: also names the bridge interface (qsb + id fits in 15).
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = crypto.randomBytes(12)
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('')
}

/** Minutes until the first live learner sandbox is due to end (at least 1). */
async function minutesUntilFreeSlot(db: Db, config: SandboxConfig): Promise<number> {
  const live = await db.sandbox.findMany({ where: { status: { in: ['starting', 'running'] } }, select: { lastActivityAt: true, expiresAt: true, fromPool: true, userId: true } })
  const now = Date.now()
  let first = Infinity
  for (const s of live) {
    const idle = s.userId === config.poolUserId ? Infinity : s.lastActivityAt.getTime() + config.idleMinutes * 60_000
    first = Math.min(first, idle, s.expiresAt.getTime())
  }
  if (!Number.isFinite(first)) return config.idleMinutes
  return Math.max(1, Math.ceil((first - now) / 60_000))
}

type Reservation =
  | { kind: 'existing'; row: SandboxWithNodes }
  | { kind: 'replace'; id: string }
  | { kind: 'claimed'; id: string }
  | { kind: 'evict'; id: string }
  | { kind: 'created'; row: SandboxWithNodes }

async function reserve(db: Db, config: SandboxConfig, userId: string, layout: SandboxLayout, lessonKey: string | null, pooled: boolean): Promise<Reservation> {
  const key = layoutKey(layout)
  return serializable(db, async (tx) => {
    const now = new Date()
    if (!pooled) {
      const existing = await tx.sandbox.findFirst({ where: { userId, status: { in: ['starting', 'running'] } }, include: { nodes: true }, orderBy: { createdAt: 'desc' } })
      if (existing) return existing.layoutKey === key ? { kind: 'existing', row: existing } : { kind: 'replace', id: existing.id }

      const hourAgo = new Date(now.getTime() - 3_600_000)
      const recent = await tx.sandbox.findMany({ where: { userId, createdAt: { gte: hourAgo } }, select: { createdAt: true }, orderBy: { createdAt: 'asc' } })
      if (recent.length >= config.createsPerHour) {
        const oldest = recent[recent.length - config.createsPerHour]?.createdAt ?? now
        const retryAfterSeconds = Math.max(1, Math.ceil((oldest.getTime() + 3_600_000 - now.getTime()) / 1000))
        throw new SandboxRateLimitError(retryAfterSeconds, config.createsPerHour)
      }

      // Pooled sandboxes come from QUAI_SANDBOX_POOL_SIZE or from a scheduled class session.
      const candidate = await tx.sandbox.findFirst({ where: { placement: sandboxPlacement().name, userId: config.poolUserId, fromPool: true, status: 'running', layoutKey: key }, orderBy: { createdAt: 'asc' }, select: { id: true } })
      if (candidate) {
        // The claim: one conditional update; whoever changes the owner first gets it.
        const claimed = await tx.sandbox.updateMany({
          where: { id: candidate.id, userId: config.poolUserId, status: 'running' },
          data: { userId, lessonKey, createdAt: now, lastActivityAt: now, expiresAt: new Date(now.getTime() + config.maxMinutes * 60_000) },
        })
        if (claimed.count === 1) return { kind: 'claimed', id: candidate.id }
      }
    }

    const live = await tx.sandbox.count({ where: { status: { in: LIVE } } })
    if (live >= config.maxConcurrent) {
      if (!pooled) {
        // An idle pooled sandbox gives its place to a learner who asked for another layout.
        const spare = await tx.sandbox.findFirst({ where: { placement: sandboxPlacement().name, userId: config.poolUserId, fromPool: true, status: 'running' }, select: { id: true } })
        if (spare) return { kind: 'evict', id: spare.id }
      }
      throw new SandboxCapacityError(await minutesUntilFreeSlot(tx, config))
    }

    const id = newSandboxId()
    const row = await tx.sandbox.create({
      data: {
        id,
        userId,
        status: 'starting',
        placement: sandboxPlacement().name,
        lessonKey,
        layoutKey: key,
        fromPool: pooled,
        createdAt: now,
        lastActivityAt: now,
        queueSeenAt: now,
        expiresAt: new Date(now.getTime() + config.maxMinutes * 60_000),
        nodes: { create: layout.nodes.map((n) => ({ name: n.name, hostname: n.name })) },
      },
      include: { nodes: true },
    })
    return { kind: 'created', row }
  })
}

// ---------------------------------------------------------------- lifecycle

export type OpenSandboxOptions = {
  /** "course/lesson" that asks for the sandbox. */
  lessonKey?: string | null
  layout?: SandboxLayout
  /** The learner's request: once aborted, the queued start is no longer kept alive by it. */
  signal?: AbortSignal
}

/**
 * The user's sandbox for a lesson: their running one when its layout fits (same nodes and
 * roles), a ready one from the warm pool, or a new one. Resolves once it is running.
 * Throws SandboxRateLimitError, SandboxCapacityError, SandboxStartError, SandboxUnavailableError.
 */
export async function openSandbox(userId: string, options: OpenSandboxOptions = {}): Promise<SandboxView> {
  const config = sandboxConfig()
  const layout = sandboxLayoutSchema.parse(options.layout ?? defaultLayout)
  const lessonKey = options.lessonKey ?? null
  await preparePlacement()
  const db = await getDb()
  for (let round = 0; round < 10; round++) {
    const r = await reserve(db, config, userId, layout, lessonKey, false)
    switch (r.kind) {
      case 'existing': {
        if (r.row.status === 'starting') {
          await waitWhileStarting(db, r.row.id, config, options.signal)
          continue
        }
        const now = new Date()
        await db.sandbox.updateMany({ where: { id: r.row.id, status: 'running' }, data: { lessonKey, lastActivityAt: now } })
        return toView({ ...r.row, lessonKey, lastActivityAt: now }, config)
      }
      case 'replace':
        await endSandbox(r.id, 'replaced')
        continue
      case 'evict':
        await endSandbox(r.id, 'pool')
        continue
      case 'claimed': {
        const row = await loadRow(db, r.id)
        if (row) return toView(row, config)
        continue
      }
      case 'created':
        return toView(await startSandbox(db, r.row, userId, false, config, options.signal), config)
    }
  }
  throw new SandboxStartError('too many concurrent changes to this learner\'s sandboxes; try again')
}

async function preparePlacement(): Promise<void> {
  try {
    await sandboxPlacement().prepare()
  } catch (error) {
    const problem = dockerProblemOf(error)
    throw new SandboxUnavailableError(problem ? problem.message : (error as Error).message, error)
  }
}

async function waitWhileStarting(db: Db, id: string, config: SandboxConfig, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + (config.startTimeoutSeconds + 30) * 1000
  // A second tab (or a reload) of the same learner keeps a queued start alive too.
  const heartbeat = queuedRowHeartbeat(db, id, signal)
  while (Date.now() < deadline) {
    const row = await db.sandbox.findUnique({ where: { id }, select: { status: true } })
    if (!row || row.status !== 'starting') return
    await heartbeat()
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function startSandbox(db: Db, row: SandboxWithNodes, userId: string, pooled: boolean, config: SandboxConfig, signal?: AbortSignal): Promise<SandboxWithNodes> {
  const placement = sandboxPlacement()
  await waitForStartSlot(config, placement.name, row.id, { signal })
  let placed
  try {
    placed = await placement.create({
      sandboxId: row.id,
      userId,
      pooled,
      nodes: layoutFromKey(row.layoutKey).nodes,
      limits: { memoryMb: config.memoryMb, cpus: config.cpus, pids: config.pids, diskMb: config.diskMb },
    })
  } catch (error) {
    const problem = dockerProblemOf(error)
    const reason = problem ? problem.message : (error as Error).message
    await db.sandbox.updateMany({ where: { id: row.id }, data: { status: 'failed', error: reason.slice(0, 2000), endedAt: new Date(), endReason: 'failed' } })
    if (problem) throw new SandboxUnavailableError(problem.message, error)
    throw new SandboxStartError(reason, error)
  }
  const now = new Date()
  const ok = await db.sandbox.updateMany({ where: { id: row.id, status: 'starting' }, data: { status: 'running', readyAt: now, networkId: placed.networkId, lastActivityAt: now } })
  if (ok.count === 0) {
    // Stopped while it was starting: finish the job here.
    await placement.destroy(row.id).catch(() => undefined)
    await db.sandbox.updateMany({ where: { id: row.id }, data: { status: 'ended', endedAt: new Date() } })
    throw new SandboxNotRunningError('ended')
  }
  for (const node of placed.nodes) {
    await db.sandboxNode.updateMany({ where: { sandboxId: row.id, name: node.name }, data: { containerId: node.containerId, socketPath: node.socketPath, hostname: node.hostname } })
  }
  const fresh = await loadRow(db, row.id)
  if (!fresh) throw new SandboxNotFoundError()
  return fresh
}

/**
 * End a sandbox (any owner): only one caller wins the running -> stopping transition and
 * removes everything it has on its hosts. Safe to call twice or from two instances.
 */
export async function endSandbox(sandboxId: string, reason: EndReason): Promise<void> {
  const db = await getDb()
  const now = new Date()
  // endedAt marks when the stopping began (kept as the end time once ended).
  const won = await db.sandbox.updateMany({ where: { id: sandboxId, status: 'running' }, data: { status: 'stopping', endReason: reason, endedAt: now } })
  if (won.count === 0) {
    // A starting one is finished by the instance that is starting it.
    await db.sandbox.updateMany({ where: { id: sandboxId, status: 'starting' }, data: { status: 'stopping', endReason: reason, endedAt: now } })
    return
  }
  await destroyAndMarkEnded(db, sandboxId)
}

async function destroyAndMarkEnded(db: Db, sandboxId: string): Promise<void> {
  try {
    await sandboxPlacement().destroy(sandboxId)
  } catch (error) {
    // Left as "stopping": the reaper tries again.
    await db.sandbox.updateMany({ where: { id: sandboxId }, data: { error: (error as Error).message.slice(0, 2000) } })
    return
  }
  await db.sandbox.updateMany({ where: { id: sandboxId, status: 'stopping' }, data: { status: 'ended', endedAt: new Date() } })
}

/** The learner's stop button. */
export async function stopSandbox(userId: string, sandboxId: string): Promise<SandboxView> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) throw new SandboxNotFoundError()
  if (row.userId !== userId) throw new SandboxNotYoursError()
  await endSandbox(sandboxId, 'stopped')
  const after = await loadRow(db, sandboxId)
  return toView(after ?? row)
}

/** The learner's reset button: the sandbox ends and a fresh one (new id) takes its place. */
export async function resetSandbox(userId: string, sandboxId: string): Promise<SandboxView> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) throw new SandboxNotFoundError()
  if (row.userId !== userId) throw new SandboxNotYoursError()
  await endSandbox(sandboxId, 'reset')
  return openSandbox(userId, { lessonKey: row.lessonKey, layout: layoutFromKey(row.layoutKey) })
}

const lastTouch = new Map<string, number>()

/**
 * The learner did something (keystroke, check, file save): push the idle deadline back.
 * At most one database write per sandbox per QUAI_SANDBOX_TOUCH_SECONDS, in any instance
 * (the write is conditional on the stored time being that old).
 */
export async function touchSandbox(sandboxId: string): Promise<void> {
  const config = sandboxConfig()
  const now = Date.now()
  const throttleMs = config.touchSeconds * 1000
  if (now - (lastTouch.get(sandboxId) ?? 0) < throttleMs) return
  lastTouch.set(sandboxId, now)
  if (lastTouch.size > 10_000) lastTouch.clear()
  const db = await getDb()
  await db.sandbox.updateMany({ where: { id: sandboxId, status: 'running', lastActivityAt: { lt: new Date(now - throttleMs) } }, data: { lastActivityAt: new Date(now) } })
}

// ---------------------------------------------------------------- using a node

async function nodeRef(sandboxId: string, nodeName: string): Promise<NodeRef> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) throw new SandboxNotFoundError()
  if (row.status !== 'running') throw new SandboxNotRunningError(asStatus(row.status))
  const node = row.nodes.find((n) => n.name === nodeName)
  if (!node?.containerId) throw new SandboxNodeNotFoundError(nodeName)
  return { sandboxId, name: node.name, containerId: node.containerId, socketPath: node.socketPath }
}

/** A Docker client on the node's own daemon (for the checks engine). Ownership is the caller's job. */
export async function innerDocker(sandboxId: string, nodeName: string): Promise<DockerClient> {
  return sandboxPlacement().innerDocker(await nodeRef(sandboxId, nodeName))
}

/** Run a command as the learner (root of the sandbox) in a node, without TTY; collects the output. */
export async function execInNode(sandboxId: string, nodeName: string, cmd: string[], options: ExecInNodeOptions = {}): Promise<ExecResult> {
  const ref = await nodeRef(sandboxId, nodeName)
  return orNodeDied(sandboxId, () => sandboxPlacement().exec(ref, cmd, options))
}

/** An interactive process (default: the learner's login shell) in a node, as a raw stream. */
export async function openNodeShell(sandboxId: string, nodeName: string, options: OpenShellOptions & { cmd?: string[] }): Promise<ExecSession> {
  const ref = await nodeRef(sandboxId, nodeName)
  return orNodeDied(sandboxId, () => sandboxPlacement().openShell(ref, options.cmd ?? null, options))
}

/** Runs `call`; when it fails because a node of the sandbox died, throws SandboxNodeDiedError instead (the sandbox is ended). */
async function orNodeDied<T>(sandboxId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw (await endIfNodeDied(sandboxId)) ?? error
  }
}

/**
 * For callers that run their own exec stream (the terminal bridge): the engine, container,
 * and the argv that puts a command inside the learner's world. Every exec into a node must
 * go through `command(...)`: a bare `docker exec` lands outside the learner's namespaces.
 */
export async function nodeExecTarget(sandboxId: string, nodeName: string): Promise<{ docker: DockerClient; containerId: string; command: (cmd: string[]) => string[] }> {
  const placement = sandboxPlacement()
  const ref = await nodeRef(sandboxId, nodeName)
  return { ...placement.nodeContainer(ref), command: (cmd) => placement.execCommand(cmd) }
}

/** Where the Quai server reaches the node's published ports (for the port proxy). */
export async function nodeAddress(sandboxId: string, nodeName: string): Promise<string> {
  const address = await sandboxPlacement().nodeAddress(await nodeRef(sandboxId, nodeName))
  if (!address) throw new SandboxNodeNotFoundError(nodeName)
  return address
}

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

// ---------------------------------------------------------------- dead nodes

/**
 * The health part of the runtime loop: one listing of this placement's node containers,
 * compared with the running rows. A sandbox with a stopped or vanished node is ended at once
 * (endReason node_died or node_out_of_memory), which frees its slot, disk and cgroup.
 */
export async function endSandboxesWithDeadNodes(): Promise<{ id: string; reason: EndReason }[]> {
  const placement = sandboxPlacement()
  const db = await getDb()
  // Rows first, then the hosts: a node created after this read is not judged on this tick.
  const running = await db.sandbox.findMany({ where: { placement: placement.name, status: 'running' }, select: { id: true, nodes: { select: { name: true, containerId: true } } } })
  if (running.length === 0) return []
  const dead = deadNodesOf(running, await placement.listNodeStates())
  const ended: { id: string; reason: EndReason }[] = []
  for (const d of dead) {
    const error = await endForDeadNode(db, d.sandboxId, d.node, d.containerId)
    if (error) ended.push({ id: d.sandboxId, reason: error.reason })
  }
  return ended
}

/**
 * After an exec, a shell or a daemon call on this sandbox failed: if one of its nodes is no
 * longer running, the sandbox is ended (once, whoever notices first) and the error to show
 * is returned; null when the nodes run (the failure was something else).
 */
export async function endIfNodeDied(sandboxId: string): Promise<SandboxNodeDiedError | null> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) return null
  if (row.status !== 'running') {
    // Already ended by the health tick or another request: say why, the same way.
    const node = /^node (\S+) /.exec(row.error ?? '')?.[1] ?? row.nodes[0]?.name ?? 'node1'
    return isNodeDeathReason(row.endReason) ? new SandboxNodeDiedError(node, row.endReason) : null
  }
  for (const node of row.nodes) {
    if (!node.containerId) continue
    const death = await sandboxPlacement().nodeDeath({ name: node.name, containerId: node.containerId })
    if (death) return (await endForDeadNode(db, sandboxId, node.name, node.containerId)) ?? new SandboxNodeDiedError(node.name, deathReasonOf(death))
  }
  return null
}

async function endForDeadNode(db: Db, sandboxId: string, node: string, containerId: string): Promise<SandboxNodeDiedError | null> {
  const death = await sandboxPlacement().nodeDeath({ name: node, containerId })
  const reason = deathReasonOf(death)
  const won = await db.sandbox.updateMany({
    where: { id: sandboxId, status: 'running' },
    data: { status: 'stopping', endReason: reason, endedAt: new Date(), error: deathDescription(node, death) },
  })
  if (won.count === 0) return null
  await destroyAndMarkEnded(db, sandboxId)
  return new SandboxNodeDiedError(node, reason)
}

// ---------------------------------------------------------------- reconcile

export type ReconcileResult = { adopted: string[]; ended: string[]; removed: string[] }

/**
 * At server start (and safe at any time, from any instance): make the hosts and the
 * registry agree. Things on the hosts labelled as Quai sandboxes with no live row are
 * removed; running rows whose nodes are gone or dead are ended (and their leftovers removed);
 * healthy ones are adopted as they are. Rows still starting are left to whoever starts them
 * unless they are too old.
 */
export async function reconcileSandboxes(): Promise<ReconcileResult> {
  const config = sandboxConfig()
  const placement = sandboxPlacement()
  await preparePlacement()
  const db = await getDb()
  const result: ReconcileResult = { adopted: [], ended: [], removed: [] }

  const rows = await db.sandbox.findMany({ where: { placement: placement.name, status: { in: LIVE } }, include: { nodes: true } })
  const live = new Map(rows.map((r) => [r.id, r]))

  for (const id of await placement.listPlaced()) {
    if (live.has(id)) continue
    await placement.destroy(id).catch(() => undefined)
    result.removed.push(id)
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
    if (health.length > 0 && health.every((h) => h.running && h.daemonAnswers)) {
      result.adopted.push(row.id)
    } else {
      await endSandbox(row.id, 'lost')
      result.ended.push(row.id)
    }
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
  const present = await db.sandbox.groupBy({ by: ['layoutKey'], where: { ...pooledWhere, status: { in: ['starting', 'running'] } }, _count: { _all: true } })
  const layouts = new Set([...targets.keys(), ...present.map((p) => p.layoutKey)])
  if (layouts.size === 0) return 0
  await preparePlacement()
  await ensurePoolUser(db, config)
  const reserved: SandboxWithNodes[] = []
  for (const key of layouts) {
    const wanted = targets.get(key) ?? 0
    const have = present.find((p) => p.layoutKey === key)?._count._all ?? 0
    for (let i = have; i < wanted; i++) {
      let r: Reservation
      try {
        r = await reserve(db, config, config.poolUserId, layoutFromKey(key), null, true)
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
  const results = await Promise.allSettled(reserved.map((row) => startSandbox(db, row, config.poolUserId, true, config)))
  const failure = results.find((r) => r.status === 'rejected')
  if (failure && results.every((r) => r.status === 'rejected')) throw failure.reason
  return results.filter((r) => r.status === 'fulfilled').length
}

// ---------------------------------------------------------------- background work

let timer: NodeJS.Timeout | null = null
let healthTimer: NodeJS.Timeout | null = null

/**
 * For server.ts at start: reconcile, then every `intervalMs` reap and refill the pool, and
 * every `healthIntervalMs` end the sandboxes whose node died (one container listing per tick,
 * so a dead daemon is noticed within about that interval plus the listing).
 * Errors are logged, never thrown (a server without Docker still serves lessons).
 */
export async function startSandboxRuntime(options: { intervalMs?: number; healthIntervalMs?: number; log?: (m: string) => void } = {}): Promise<void> {
  const log = options.log ?? ((m: string) => console.warn(`[sandbox] ${m}`))
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
    } catch (error) {
      log(`maintenance: ${(error as Error).message}`)
    }
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
}

export function stopSandboxRuntime(): void {
  if (timer) clearInterval(timer)
  if (healthTimer) clearInterval(healthTimer)
  timer = null
  healthTimer = null
}

export { SandboxError }
