import 'server-only'
import fsp from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { getDb, type Db } from '../db/client.server'
import { getCourse } from '../content/lessons.server'
import { sandboxConfig, type SandboxConfig } from './config.server'
import { newId } from './ids.server'
import type { RunningContainers } from './placement'
import { parseRunning, keepSandboxDisk } from './disk-keeping.server'
import { restoringCutoff } from './node-access.server'
import { sandboxPlacement } from './state.server'
import { KeptHostUnavailableError, KeptWorkBusyError, KeptWorkNotFoundError, SandboxError, StepNotFoundError, StepsUnavailableError, SandboxNotRunningError, SandboxNotFoundError, SandboxNotYoursError } from './types'

// A learner's work kept between sandboxes (docs/persistence.md). A SandboxDisk row follows
// one disk through its life:
//   attached  a sandbox runs on it (Sandbox.diskId)
//   keeping   its sandbox is stopping and the disk is being kept (the stop is retried until it is)
//   kept      on its host, waiting for its learner until expiresAt
//   removing  being removed (retried until its host says it is gone)
//   stranded  its host was lost while a sandbox ran on it; kept if that host comes back
//   moving    being moved to another host (kept-move.server.ts); a resume waits
//   reading   kept, its lab folders being downloaded (openKeptLab); a resume waits
//   removed | broken   history
// Every transition is a conditional update, so that two server instances never both act.
// The placement (local or an agent) does the host side: keep, snapshot, restoreStep, removeKept.

export const ACTIVE_DISK = ['attached', 'keeping', 'kept'] as const

/** What a lesson's sandbox is kept for: the lesson, or its course when the course shares one sandbox. Null: not kept. */
export function keptScopeOf(lessonKey: string | null, config: SandboxConfig = sandboxConfig()): string | null {
  if (!lessonKey || config.keepDays === 0) return null
  const [course] = lessonKey.split('/')
  if (course && getCourse(course)?.index.sharedSandbox) return `course:${course}`
  return `lesson:${lessonKey}`
}

export { parseRunning }

// ---------------------------------------------------------------- removing kept disks

/** Remove a kept disk from its host (the row says removing until the host confirms). */
export async function removeKeptDisk(db: Db, diskId: string, reason: string): Promise<boolean> {
  const won = await db.sandboxDisk.updateMany({ where: { id: diskId, status: { in: ['kept', 'removing'] } }, data: { status: 'removing', removeReason: reason } })
  if (won.count === 0) return false
  const disk = await db.sandboxDisk.findUnique({ where: { id: diskId }, select: { agentName: true } })
  try {
    await sandboxPlacement().removeKept(diskId, disk?.agentName ?? null)
  } catch (error) {
    await db.sandboxDisk.updateMany({ where: { id: diskId }, data: { error: (error as Error).message.slice(0, 2000) } })
    return false
  }
  await db.sandboxDisk.updateMany({ where: { id: diskId, status: 'removing' }, data: { status: 'removed', removedAt: new Date() } })
  await db.sandboxStep.deleteMany({ where: { diskId } })
  return true
}

/** The learner's "start over from scratch" for a lesson whose work is kept (not running). */
export async function discardKeptWork(userId: string, lessonKey: string): Promise<boolean> {
  const scopeKey = keptScopeOf(lessonKey)
  if (!scopeKey) return false
  const db = await getDb()
  const disk = await db.sandboxDisk.findFirst({ where: { userId, scopeKey, status: { in: ['kept', 'removing'] } }, select: { id: true } })
  if (!disk) return false
  await removeKeptDisk(db, disk.id, 'learner')
  return true
}

export type KeptMaintenance = { expired: string[]; overUserQuota: string[]; overHostQuota: string[]; retried: string[] }

/**
 * For the runtime's tick: remove kept disks past their retention, then the least recently used
 * of a learner past QUAI_SANDBOX_KEEP_USER_MB and of a host past its quota; retry removals.
 */
export async function maintainKeptDisks(now: Date = new Date()): Promise<KeptMaintenance> {
  const config = sandboxConfig()
  const db = await getDb()
  const placement = sandboxPlacement().name
  const result: KeptMaintenance = { expired: [], overUserQuota: [], overHostQuota: [], retried: [] }
  await releaseStaleReads(db, now)
  for (const d of await db.sandboxDisk.findMany({ where: { placement, status: 'kept', expiresAt: { lte: now } }, select: { id: true } })) {
    if (await removeKeptDisk(db, d.id, 'expired')) result.expired.push(d.id)
  }
  for (const d of await db.sandboxDisk.findMany({ where: { placement, status: 'removing' }, select: { id: true, removeReason: true } })) {
    if (await removeKeptDisk(db, d.id, d.removeReason ?? 'retry')) result.retried.push(d.id)
  }
  const kept = await db.sandboxDisk.findMany({ where: { placement, status: 'kept' }, select: { id: true, userId: true, agentName: true, keptKb: true, lastUsedAt: true }, orderBy: { lastUsedAt: 'asc' } })
  const overQuota = async (groups: Map<string, typeof kept>, limitKb: (key: string) => Promise<number>, reason: string, into: string[]) => {
    for (const [key, disks] of groups) {
      let total = disks.reduce((n, d) => n + d.keptKb, 0)
      const limit = await limitKb(key)
      for (const d of disks) {
        if (total <= limit) break
        if (await removeKeptDisk(db, d.id, reason)) {
          into.push(d.id)
          total -= d.keptKb
        }
      }
    }
  }
  await overQuota(groupBy(kept, (d) => d.userId), async () => config.keepUserMb * 1024, 'quota_user', result.overUserQuota)
  const left = kept.filter((d) => !result.overUserQuota.includes(d.id))
  await overQuota(groupBy(left, (d) => d.agentName ?? ''), () => hostQuotaKb(config), 'quota_host', result.overHostQuota)
  return result
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/** QUAI_SANDBOX_KEEP_HOST_MB, or half of the state folder's filesystem. */
async function hostQuotaKb(config: SandboxConfig): Promise<number> {
  if (config.keepHostMb !== null) return config.keepHostMb * 1024
  const stats = await fsp.statfs(config.stateDir).catch(() => fsp.statfs('/'))
  return Math.floor((stats.blocks * stats.bsize) / 2 / 1024)
}

// ---------------------------------------------------------------- reconcile

/**
 * Kept disks on the hosts against the rows (reconcile): an image no active row knows is removed;
 * a kept row whose image its host does not have is broken (the learner gets a fresh sandbox).
 */
export async function reconcileKeptDisks(onHost: { diskId: string }[], where: { placement: string; agentName?: string }): Promise<{ removed: string[]; broken: string[] }> {
  const db = await getDb()
  const rows = await db.sandboxDisk.findMany({ where: { ...where, status: { in: [...ACTIVE_DISK, 'removing', 'stranded', 'moving', 'reading'] } }, select: { id: true, status: true } })
  const known = new Map(rows.map((r) => [r.id, r.status]))
  const present = new Set(onHost.map((d) => d.diskId))
  const removed: string[] = []
  const broken: string[] = []
  for (const d of onHost) {
    const status = known.get(d.diskId)
    if (status && status !== 'removing') continue
    await sandboxPlacement().removeKept(d.diskId, where.agentName ?? null).catch(() => undefined)
    if (status === 'removing') await db.sandboxDisk.updateMany({ where: { id: d.diskId, status: 'removing' }, data: { status: 'removed', removedAt: new Date() } })
    removed.push(d.diskId)
  }
  for (const r of rows) {
    if (r.status !== 'kept' || present.has(r.id)) continue
    await db.sandboxDisk.updateMany({ where: { id: r.id, status: 'kept' }, data: { status: 'broken', removedAt: new Date(), removeReason: 'broken', error: 'its image is not on its host' } })
    broken.push(r.id)
  }
  return { removed, broken }
}

/** A sandbox that has things on its host but no live row: its disk is kept if it should be, instead of removed. */
export async function keepOrphanDisk(db: Db, sandboxId: string): Promise<boolean> {
  const disk = await db.sandboxDisk.findFirst({ where: { sandboxId, status: { in: ['attached', 'keeping', 'stranded'] } }, select: { id: true, status: true } })
  if (!disk) return false
  if (disk.status === 'stranded') await db.sandboxDisk.updateMany({ where: { id: disk.id, status: 'stranded' }, data: { status: 'keeping' } })
  await keepSandboxDisk(db, sandboxPlacement(), sandboxId, disk.id)
  return true
}

// ---------------------------------------------------------------- steps

/**
 * After an exercise passed: a snapshot of the learner's sandbox (the checks' own moment, so
 * never in the middle of the learner's command). One step per exercise: a later pass replaces
 * it, the new snapshot taken before the old one goes. Returns null where steps are not kept.
 */
export async function takeStep(sandboxId: string, lessonKey: string, exerciseId: string): Promise<{ id: string } | null> {
  const db = await getDb()
  const sandbox = await db.sandbox.findUnique({ where: { id: sandboxId }, select: { diskId: true, status: true } })
  if (!sandbox?.diskId || sandbox.status !== 'running') return null
  const id = newId()
  let running: RunningContainers
  try {
    running = (await sandboxPlacement().snapshot(sandboxId, id)).running
  } catch (error) {
    if (error instanceof StepsUnavailableError) return null
    throw error
  }
  const former = await db.sandboxStep.findMany({ where: { diskId: sandbox.diskId, lessonKey, exerciseId }, select: { id: true } })
  await db.sandboxStep.create({ data: { id, diskId: sandbox.diskId, lessonKey, exerciseId, running: JSON.stringify(running) } })
  for (const f of former) {
    await sandboxPlacement().removeStep(sandboxId, f.id).catch(() => undefined)
    await db.sandboxStep.deleteMany({ where: { id: f.id } })
  }
  return { id }
}

export type StepView = { id: string; lessonKey: string; exerciseId: string; createdAt: string }

/** The steps of the learner's running sandbox (those of its disk), oldest first. */
export async function stepsOfSandbox(userId: string, sandboxId: string): Promise<StepView[]> {
  const db = await getDb()
  const sandbox = await db.sandbox.findUnique({ where: { id: sandboxId }, select: { userId: true, diskId: true } })
  if (!sandbox) throw new SandboxNotFoundError()
  if (sandbox.userId !== userId) throw new SandboxNotYoursError()
  if (!sandbox.diskId) return []
  const steps = await db.sandboxStep.findMany({ where: { diskId: sandbox.diskId }, orderBy: { createdAt: 'asc' } })
  return steps.map((s) => ({ id: s.id, lessonKey: s.lessonKey, exerciseId: s.exerciseId, createdAt: s.createdAt.toISOString() }))
}

/** The steps of a learner's running sandboxes (for an instructor helping them), newest first. */
export async function stepsOfRunningWork(userId: string): Promise<StepView[]> {
  const db = await getDb()
  const disks = await db.sandboxDisk.findMany({ where: { userId, status: 'attached' }, select: { id: true, sandboxId: true } })
  const running = new Set(
    (await db.sandbox.findMany({ where: { id: { in: disks.flatMap((d) => (d.sandboxId ? [d.sandboxId] : [])) }, status: 'running' }, select: { id: true } })).map((s) => s.id),
  )
  const live = disks.filter((d) => d.sandboxId && running.has(d.sandboxId)).map((d) => d.id)
  const steps = await db.sandboxStep.findMany({ where: { diskId: { in: live } }, orderBy: { createdAt: 'desc' } })
  return steps.map((s) => ({ id: s.id, lessonKey: s.lessonKey, exerciseId: s.exerciseId, createdAt: s.createdAt.toISOString() }))
}

/**
 * Put the sandbox that runs on the step's disk back to that step. `ownerId` is the learner the
 * disk belongs to (the caller checked that the person acting may act for them).
 */
export async function restoreToStep(ownerId: string, stepId: string, expectedSandboxId?: string): Promise<void> {
  const db = await getDb()
  const step = await db.sandboxStep.findUnique({ where: { id: stepId }, include: { disk: { select: { userId: true, status: true, sandboxId: true } } } })
  if (!step || step.disk.userId !== ownerId) throw new StepNotFoundError()
  const sandboxId = step.disk.sandboxId
  if (expectedSandboxId !== undefined && sandboxId !== expectedSandboxId) throw new StepNotFoundError()
  const sandbox = sandboxId ? await db.sandbox.findUnique({ where: { id: sandboxId }, select: { status: true } }) : null
  if (step.disk.status !== 'attached' || !sandboxId || sandbox?.status !== 'running') throw new SandboxNotRunningError('ended')
  // Marked first: the health tick and failed execs leave its stopped nodes alone meanwhile.
  const now = new Date()
  const won = await db.sandbox.updateMany({ where: { id: sandboxId, status: 'running', OR: [{ restoringSince: null }, { restoringSince: { lt: restoringCutoff() } }] }, data: { restoringSince: now } })
  if (won.count === 0) throw new SandboxError('sandbox.restoring')
  try {
    await sandboxPlacement().restoreStep(sandboxId, step.id, parseRunning(step.running))
  } finally {
    await db.sandbox.updateMany({ where: { id: sandboxId }, data: { restoringSince: null, lastActivityAt: new Date() } })
  }
}

// ---------------------------------------------------------------- what the learner sees

export type KeptWorkView = {
  lessonKey: string | null
  scopeKey: string
  status: 'attached' | 'kept' | 'keeping'
  keptMb: number
  keptAt: string | null
  lastUsedAt: string
  /** When it is removed unless used again (null while a sandbox runs on it). */
  expiresAt: string | null
  /** Within QUAI_SANDBOX_KEEP_WARN_DAYS of removal. */
  expiresSoon: boolean
  steps: number
}

/** The learner's kept work, most recently used first (their progress page; an instructor's student view). */
export async function keptWorkOf(userId: string, now: Date = new Date()): Promise<KeptWorkView[]> {
  const config = sandboxConfig()
  const db = await getDb()
  const disks = await db.sandboxDisk.findMany({ where: { userId, status: { in: [...ACTIVE_DISK, 'reading'] } }, orderBy: { lastUsedAt: 'desc' }, include: { _count: { select: { steps: true } } } })
  return disks.map((d) => {
    // Being downloaded is still kept, as far as the learner is concerned.
    const status = (d.status === 'reading' ? 'kept' : d.status) as KeptWorkView['status']
    return {
      lessonKey: d.lessonKey,
      scopeKey: d.scopeKey,
      status,
      keptMb: Math.round(d.keptKb / 1024),
      keptAt: d.keptAt?.toISOString() ?? null,
      lastUsedAt: d.lastUsedAt.toISOString(),
      expiresAt: status === 'kept' ? (d.expiresAt?.toISOString() ?? null) : null,
      expiresSoon: status === 'kept' && d.expiresAt !== null && d.expiresAt.getTime() - now.getTime() < config.keepWarnDays * 86_400_000,
      steps: d._count.steps,
    }
  })
}

/** The learner's kept work for a lesson's scope, if any. */
export async function keptWorkForLesson(userId: string, lessonKey: string): Promise<KeptWorkView | null> {
  const scopeKey = keptScopeOf(lessonKey)
  if (!scopeKey) return null
  return (await keptWorkOf(userId)).find((w) => w.scopeKey === scopeKey) ?? null
}

/** A disk kept on a host that does not answer cannot be resumed now. */
export async function requireKeeperAnswers(db: Db, agentName: string | null): Promise<void> {
  if (!agentName) return
  const agent = await db.sandboxAgent.findUnique({ where: { name: agentName }, select: { lostAt: true } })
  if (!agent || agent.lostAt) throw new KeptHostUnavailableError(agentName)
}


// ---------------------------------------------------------------- downloading kept work

/** A download's mark on its disk is over after this long (its instance died; the host stops its read at 20 minutes). */
const readingMs = 30 * 60_000
/** The same limit as the running sandbox's folder download (lib/workspace/files.server.ts). */
const keptLabLimitBytes = 100 * 1024 * 1024

/** Marks of downloads whose instance died, put back to kept. */
async function releaseStaleReads(db: Db, now: Date): Promise<void> {
  await db.sandboxDisk.updateMany({ where: { status: 'reading', readingSince: { lt: new Date(now.getTime() - readingMs) } }, data: { status: 'kept', readingSince: null } })
}

/**
 * The lab folders of a learner's kept work for a lesson (not running) as a .tar.gz, read from
 * the kept disk on its host without starting a sandbox. `ownerId` is the learner the work is
 * kept for (the caller checked who may act for them): anyone else's, or none, is
 * KeptWorkNotFoundError. The disk is marked "reading" while the stream lasts, so a resume waits
 * for it (reserve, waitForKeptDisk) and nothing removes or moves it; a disk that is being kept,
 * resumed, moved, removed or downloaded already is refused with KeptWorkBusyError. Retention is
 * not renewed: a download is not a use of the sandbox.
 */
export async function openKeptLab(ownerId: string, lessonKey: string): Promise<{ name: string; stream: Readable }> {
  const scopeKey = keptScopeOf(lessonKey)
  if (!scopeKey) throw new KeptWorkNotFoundError()
  const db = await getDb()
  const disk = await db.sandboxDisk.findFirst({
    where: { userId: ownerId, scopeKey, status: { in: [...ACTIVE_DISK, 'reading', 'moving', 'removing', 'stranded'] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, status: true, agentName: true },
  })
  if (!disk) throw new KeptWorkNotFoundError()
  await requireKeeperAnswers(db, disk.agentName)
  const since = new Date()
  const won = await db.sandboxDisk.updateMany({
    where: { id: disk.id, OR: [{ status: 'kept' }, { status: 'reading', readingSince: { lt: new Date(since.getTime() - readingMs) } }] },
    data: { status: 'reading', readingSince: since },
  })
  if (won.count === 0) throw new KeptWorkBusyError(disk.status)
  let released = false
  const release = async () => {
    if (released) return
    released = true
    await db.sandboxDisk.updateMany({ where: { id: disk.id, status: 'reading', readingSince: since }, data: { status: 'kept', readingSince: null } })
  }
  let archive: NodeJS.ReadableStream
  try {
    archive = await sandboxPlacement().archiveKeptLab(disk.id, disk.agentName)
  } catch (error) {
    await release()
    throw error
  }
  const source = archive instanceof Readable ? archive : Readable.from(archive)
  let sent = 0
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length
      if (sent > keptLabLimitBytes) return done(new Error('the lab folder is larger than 100 MiB compressed: open the lesson and download it part by part from the Files tab'))
      done(null, chunk)
    },
  })
  source.on('error', (error) => limited.destroy(error))
  // The mark goes once the host is done with the disk: its stream ends only after the unmount.
  // A download cut short (the reader left) closes before the host has unmounted: the mark
  // stays a few seconds more, so that a resume never meets the read-only mount.
  let ended = false
  source.once('end', () => (ended = true))
  const finish = () => void (ended ? release() : new Promise((r) => setTimeout(r, 5000)).then(release)).catch(() => undefined)
  source.once('close', finish)
  limited.once('close', () => {
    source.destroy()
    finish()
  })
  source.pipe(limited)
  const [, lesson] = lessonKey.split('/')
  return { name: `${lesson ?? 'lab'}-kept.tar.gz`, stream: limited }
}
