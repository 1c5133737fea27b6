import 'server-only'
import { getDb, type Db } from '../db/client.server'
import { normalizeImageName, repositoryOf } from '../content/image-catalog.server'
import { getLessonByKey } from '../content/lessons.server'
import { dockerProblemOf } from '../docker/diagnose.server'
import { localHost, webMetrics } from '../metrics/web.server'
import { sandboxConfig, type SandboxConfig } from './config.server'
import { serializable } from './serializable.server'
import { queuedRowHeartbeat, waitForStartSlot } from './start-queue.server'
import { keepUntil } from './disk-keeping.server'
import { newId } from './ids.server'
import { keepOrphanDisk, keptScopeOf, parseRunning, requireKeeperAnswers } from './kept.server'
import type { ResumeDisk } from './placement'
import { asStatus, destroyAndMarkEnded, LIVE, loadRow, preparePlacement, sandboxPlacement, toView, type SandboxWithNodes } from './state.server'
import {
  defaultLayout,
  KeptDiskBrokenError,
  layoutFromKey,
  layoutKey,
  SandboxCapacityError,
  SandboxError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxNotYoursError,
  SandboxRateLimitError,
  sandboxLayoutSchema,
  SandboxStartError,
  SandboxUnavailableError,
  type EndReason,
  type SandboxLayout,
  type SandboxView,
} from './types'

// The sandbox lifecycle. The database is the registry: any server instance can find, reuse,
// reap, reconcile or claim any sandbox, and no decision depends on this process's memory
// (the only in-memory things are caches: the placement's one-time host checks and the
// touch throttle). Decisions that must not race (one live sandbox per learner, capacity,
// creation rate, pool claims) are taken in serializable transactions, retried on conflict.
// The runtime loop (reaper, reconcile, warm pool) is in runtime.server.ts, commands and
// daemons of a node in node-access.server.ts.

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

export type Reservation =
  | { kind: 'existing'; row: SandboxWithNodes }
  /** The learner's live sandbox is kept for another lesson: it is kept, and this lesson gets its own. */
  | { kind: 'switch'; id: string }
  /** This lesson's kept disk is still being kept (its sandbox is stopping): wait, then resume it. */
  | { kind: 'wait_disk'; diskId: string; agentName: string | null }
  | { kind: 'replace'; id: string }
  | { kind: 'claimed'; id: string; lessonFilesSeeded: boolean }
  | { kind: 'evict'; id: string }
  | { kind: 'created'; row: SandboxWithNodes; resume?: ResumeDisk & { keptAt: Date | null } }
  /** The pool already holds `poolTarget` sandboxes of this layout (another instance's tick filled it). */
  | { kind: 'pool_full' }

/**
 * `poolTarget`, for a pooled reservation: how many pooled sandboxes of this layout the pool
 * wants. Counted in the same transaction, so that web instances filling the pool at once never
 * make more than that between them.
 */
export async function reserve(db: Db, config: SandboxConfig, userId: string, layout: SandboxLayout, lessonKey: string | null, pooled: boolean, poolTarget?: number): Promise<Reservation> {
  const key = layoutKey(layout)
  const scopeKey = pooled ? null : keptScopeOf(lessonKey, config)
  return serializable(db, async (tx) => {
    const now = new Date()
    // The learner's kept work for this lesson, to resume rather than claim or make a sandbox.
    let resumable: { id: string; running: string; subnet: string | null; agentName: string | null; keptAt: Date | null } | null = null
    if (pooled && poolTarget !== undefined) {
      const inPool = await tx.sandbox.count({ where: { placement: sandboxPlacement().name, userId: config.poolUserId, fromPool: true, layoutKey: key, status: { in: ['starting', 'running'] } } })
      if (inPool >= poolTarget) return { kind: 'pool_full' }
    }
    if (!pooled) {
      const existing = await tx.sandbox.findFirst({ where: { userId, status: { in: ['starting', 'running'] } }, include: { nodes: true }, orderBy: { createdAt: 'desc' } })
      if (existing) {
        if (scopeKey && existing.scopeKey !== scopeKey) return { kind: 'switch', id: existing.id }
        return existing.layoutKey === key ? { kind: 'existing', row: existing } : { kind: 'replace', id: existing.id }
      }

      const hourAgo = new Date(now.getTime() - 3_600_000)
      const recent = await tx.sandbox.findMany({ where: { userId, createdAt: { gte: hourAgo } }, select: { createdAt: true }, orderBy: { createdAt: 'asc' } })
      if (recent.length >= config.createsPerHour) {
        const oldest = recent[recent.length - config.createsPerHour]?.createdAt ?? now
        const retryAfterSeconds = Math.max(1, Math.ceil((oldest.getTime() + 3_600_000 - now.getTime()) / 1000))
        throw new SandboxRateLimitError(retryAfterSeconds, config.createsPerHour)
      }

      // The learner's kept work for this lesson comes back before anything else.
      const disk = scopeKey ? await tx.sandboxDisk.findFirst({ where: { userId, scopeKey, status: { in: ['attached', 'keeping', 'kept', 'moving', 'reading'] } }, orderBy: { createdAt: 'desc' } }) : null
      if (disk?.status === 'kept') resumable = disk
      else if (disk) {
        // Its host was lost under the learner (who was told, and asks for a new sandbox): a fresh
        // one now; the stranded disk is kept if that host comes back (reconcile).
        const keeper = disk.agentName ? await tx.sandboxAgent.findUnique({ where: { name: disk.agentName }, select: { lostAt: true } }) : null
        if (!keeper?.lostAt || disk.status === 'moving' || disk.status === 'reading') return { kind: 'wait_disk', diskId: disk.id, agentName: disk.agentName }
        await tx.sandboxDisk.update({ where: { id: disk.id }, data: { status: 'stranded' } })
      }
    }

    if (!pooled && !resumable) {
      // Pooled sandboxes come from QUAI_SANDBOX_POOL_SIZE or from a scheduled class session;
      // one already holding this lesson's files (warmed for its session) first.
      const pooledWhere = { placement: sandboxPlacement().name, userId: config.poolUserId, fromPool: true, status: 'running', layoutKey: key }
      const select = { id: true, seededLessonKey: true, agentName: true }
      const candidate =
        (lessonKey ? await tx.sandbox.findFirst({ where: { ...pooledWhere, seededLessonKey: lessonKey }, orderBy: { createdAt: 'asc' }, select }) : null) ??
        (await tx.sandbox.findFirst({ where: pooledWhere, orderBy: { createdAt: 'asc' }, select }))
      if (candidate) {
        // The claim: one conditional update; whoever changes the owner first gets it. It uses
        // up the seeding mark: later opens (or a reset's new sandbox) decide for themselves.
        const diskId = scopeKey ? newId() : null
        const claimed = await tx.sandbox.updateMany({
          where: { id: candidate.id, userId: config.poolUserId, status: 'running', seededLessonKey: candidate.seededLessonKey },
          data: { userId, lessonKey, scopeKey, diskId, seededLessonKey: null, createdAt: now, lastActivityAt: now, expiresAt: new Date(now.getTime() + config.maxMinutes * 60_000) },
        })
        if (claimed.count === 1) {
          if (diskId && scopeKey) await tx.sandboxDisk.create({ data: newDiskData(diskId, userId, scopeKey, lessonKey, key, candidate.id, candidate.agentName) })
          return { kind: 'claimed', id: candidate.id, lessonFilesSeeded: lessonKey !== null && candidate.seededLessonKey === lessonKey }
        }
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

    const id = newId()
    const diskId = resumable?.id ?? (scopeKey ? newId() : null)
    const row = await tx.sandbox.create({
      data: { ...newRowData(id, userId, lessonKey, key, pooled, now, config), scopeKey, diskId, nodes: { create: layout.nodes.map((n) => ({ name: n.name, hostname: n.name })) } },
      include: { nodes: true },
    })
    if (resumable) {
      await tx.sandboxDisk.update({ where: { id: resumable.id }, data: { status: 'attached', sandboxId: id, lessonKey, lastUsedAt: now, expiresAt: null } })
      return { kind: 'created', row, resume: { diskId: resumable.id, running: parseRunning(resumable.running), subnet: resumable.subnet, host: resumable.agentName, keptAt: resumable.keptAt } }
    }
    if (diskId && scopeKey) await tx.sandboxDisk.create({ data: newDiskData(diskId, userId, scopeKey, lessonKey, key, id, null) })
    return { kind: 'created', row }
  })
}

function newRowData(id: string, userId: string, lessonKey: string | null, layoutKey: string, pooled: boolean, now: Date, config: SandboxConfig) {
  return {
    id,
    userId,
    status: 'starting',
    placement: sandboxPlacement().name,
    lessonKey,
    layoutKey,
    fromPool: pooled,
    createdAt: now,
    lastActivityAt: now,
    queueSeenAt: now,
    expiresAt: new Date(now.getTime() + config.maxMinutes * 60_000),
  }
}

function newDiskData(id: string, userId: string, scopeKey: string, lessonKey: string | null, layoutKey: string, sandboxId: string, agentName: string | null) {
  return { id, userId, scopeKey, lessonKey, layoutKey, placement: sandboxPlacement().name, agentName, status: 'attached', sandboxId }
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
  let keptWorkLost = false
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
      case 'switch':
        // Kept in the background: this lesson's sandbox need not wait for the other's disk.
        await endSandbox(r.id, 'switched', { background: true })
        continue
      case 'wait_disk':
        await waitForKeptDisk(db, r.diskId, r.agentName, options.signal)
        continue
      case 'evict':
        await endSandbox(r.id, 'pool')
        continue
      case 'claimed': {
        const row = await loadRow(db, r.id)
        if (row) return { ...toView(row, config), lessonFilesSeeded: r.lessonFilesSeeded, ...(keptWorkLost ? { keptWorkLost } : {}) }
        continue
      }
      case 'created': {
        let started: SandboxWithNodes
        try {
          started = await startSandbox(db, r.row, userId, false, config, options.signal, r.resume)
        } catch (error) {
          if (!(error instanceof KeptDiskBrokenError)) throw error
          // The kept work cannot be read back: it is recorded as broken, and the next round makes a fresh sandbox.
          keptWorkLost = true
          continue
        }
        webMetrics().sandboxStartSeconds.observe({ host: started.agentName ?? localHost }, (Date.now() - r.row.createdAt.getTime()) / 1000)
        return { ...toView(started, config), ...(r.resume ? { resumedFrom: r.resume.keptAt, lessonFilesSeeded: true } : {}), ...(keptWorkLost ? { keptWorkLost } : {}) }
      }
    }
  }
  throw new SandboxStartError('too many concurrent changes to this learner\'s sandboxes; try again')
}

/** Until a disk being kept is kept (its sandbox's stop finishes it); a host that does not answer cannot give it back. */
async function waitForKeptDisk(db: Db, diskId: string, agentName: string | null, signal: AbortSignal | undefined): Promise<void> {
  await requireKeeperAnswers(db, agentName)
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline && !signal?.aborted) {
    const disk = await db.sandboxDisk.findUnique({ where: { id: diskId }, select: { status: true, sandboxId: true } })
    if (!disk || !['attached', 'keeping', 'moving', 'reading'].includes(disk.status)) return
    const sandbox = disk.sandboxId ? await db.sandbox.findUnique({ where: { id: disk.sandboxId }, select: { status: true, endedAt: true } }) : null
    if (disk.status === 'moving' || disk.status === 'reading') {
      // Between two hosts (an operator's command), or its folder being downloaded: back in a moment.
    } else if (disk.sandboxId && (!sandbox || sandbox.status === 'ended' || sandbox.status === 'failed')) {
      // Its sandbox ended without keeping it (its host was lost with it, and answers again): kept now.
      await requireKeeperAnswers(db, agentName)
      await keepOrphanDisk(db, disk.sandboxId)
    } else if (sandbox?.status === 'stopping' && sandbox.endedAt && Date.now() - sandbox.endedAt.getTime() > 30_000 && disk.sandboxId) {
      // A stop left to the reaper (its instance died) is finished here.
      await destroyAndMarkEnded(db, disk.sandboxId)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new SandboxStartError('your kept work is still being saved; try again in a minute')
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

export async function startSandbox(db: Db, row: SandboxWithNodes, userId: string, pooled: boolean, config: SandboxConfig, signal?: AbortSignal, resume?: ResumeDisk): Promise<SandboxWithNodes> {
  const placement = sandboxPlacement()
  const spec = {
    sandboxId: row.id,
    userId,
    pooled,
    nodes: layoutFromKey(row.layoutKey).nodes,
    limits: { memoryMb: config.memoryMb, cpus: config.cpus, pids: config.pids, diskMb: config.diskMb },
    lessonImages: mirrorImagesOfLesson(row.lessonKey),
    ...(resume ? { resume: { diskId: resume.diskId, running: resume.running, subnet: resume.subnet, host: resume.host } } : {}),
  }
  const failed = (error: unknown) => failStart(db, row.id, error, resume?.diskId ?? null)
  // With several hosts, the host is chosen first: the sandbox then waits in that host's queue.
  if (placement.assignHost) await placement.assignHost(spec).catch(failed)
  await waitForStartSlot(config, placement.name, row.id, { signal }).catch(async (error: unknown) => {
    // Left the queue (or ended while waiting): the row says so already; a disk it was to resume is kept again.
    if (resume) await keptAgain(db, resume.diskId)
    throw error
  })
  const placed = await placement.create(spec).catch(failed)
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
  if (row.diskId) {
    const agentName = (await db.sandbox.findUnique({ where: { id: row.id }, select: { agentName: true } }))?.agentName ?? null
    await db.sandboxDisk.updateMany({ where: { id: row.diskId }, data: { subnet: placed.subnet ?? null, agentName } })
  }
  const fresh = await loadRow(db, row.id)
  if (!fresh) throw new SandboxNotFoundError()
  return fresh
}

/** A disk whose resume did not happen goes back to being kept, its retention counted from now. */
async function keptAgain(db: Db, diskId: string): Promise<void> {
  const now = new Date()
  await db.sandboxDisk.updateMany({ where: { id: diskId, status: 'attached' }, data: { status: 'kept', lastUsedAt: now, expiresAt: keepUntil(now) } })
}

/**
 * A start that failed before its sandbox ran: the row says why, and the caller hears a SandboxError.
 * A resumed disk is kept again (the placement put it back), or recorded broken when it was.
 */
async function failStart(db: Db, sandboxId: string, error: unknown, resumedDiskId: string | null = null): Promise<never> {
  const problem = dockerProblemOf(error)
  const reason = problem ? problem.message : (error as Error).message
  await db.sandbox.updateMany({ where: { id: sandboxId }, data: { status: 'failed', error: reason.slice(0, 2000), endedAt: new Date(), endReason: 'failed' } })
  if (resumedDiskId) {
    if (error instanceof KeptDiskBrokenError) {
      await db.sandboxDisk.updateMany({ where: { id: resumedDiskId, status: 'attached' }, data: { status: 'broken', removedAt: new Date(), removeReason: 'broken', error: error.message.slice(0, 2000) } })
      await sandboxPlacement().removeKept(resumedDiskId, (await db.sandboxDisk.findUnique({ where: { id: resumedDiskId }, select: { agentName: true } }))?.agentName ?? null).catch(() => undefined)
      throw error
    }
    await keptAgain(db, resumedDiskId)
    if (error instanceof SandboxError) throw error
  }
  if (problem) throw new SandboxUnavailableError(problem.message, error)
  // A SandboxError cause (no host has room, the host's disk is full...) is what the API answers (lib/http/api.server.ts).
  throw new SandboxStartError(reason, error)
}

/** The lesson's images that the lesson registry mirror serves (those a real registry serves are not the host's concern). */
function mirrorImagesOfLesson(lessonKey: string | null): string[] {
  const sandbox = getLessonByKey(lessonKey)?.frontmatter?.sandbox
  if (!sandbox) return []
  const registryOnly = new Set(sandbox.registryOnly.map((r) => repositoryOf(r.image)))
  return sandbox.images.filter((image) => !registryOnly.has(repositoryOf(image))).map(normalizeImageName)
}

/**
 * End a sandbox (any owner): only one caller wins the running -> stopping transition and
 * removes everything it has on its hosts. Safe to call twice or from two instances.
 */
export async function endSandbox(sandboxId: string, reason: EndReason, options: { background?: boolean } = {}): Promise<void> {
  const db = await getDb()
  const now = new Date()
  // endedAt marks when the stopping began (kept as the end time once ended).
  const won = await db.sandbox.updateMany({ where: { id: sandboxId, status: 'running' }, data: { status: 'stopping', endReason: reason, endedAt: now } })
  if (won.count === 0) {
    // A starting one is finished by the instance that is starting it.
    await db.sandbox.updateMany({ where: { id: sandboxId, status: 'starting' }, data: { status: 'stopping', endReason: reason, endedAt: now } })
    return
  }
  // (Its disk, still "attached", already makes a reserve for its lesson wait: keepSandboxDisk marks it "keeping".)
  // In the background, a stop that dies with this process is finished by the reaper.
  const finish = destroyAndMarkEnded(db, sandboxId)
  if (options.background) finish.catch((error: unknown) => console.warn(`[sandbox] stopping ${sandboxId}: ${(error as Error).message}`))
  else await finish
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

export { SandboxError }
