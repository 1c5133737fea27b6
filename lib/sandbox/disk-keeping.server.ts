import 'server-only'
import type { Db } from '../db/client.server'
import { sandboxConfig, type SandboxConfig } from './config.server'
import type { RunningContainers, SandboxPlacement } from './placement'

// The stop of a sandbox whose disk is kept (docs/persistence.md): state.server.ts's
// destroyAndMarkEnded asks diskToKeep, then keeps or removes. The rest of the kept disks'
// life (resume, retention, steps) is in kept.server.ts.

export const parseRunning = (text: string | null | undefined): RunningContainers => {
  try {
    const value = JSON.parse(text ?? '{}') as unknown
    return value && typeof value === 'object' ? (value as RunningContainers) : {}
  } catch {
    return {}
  }
}

/** When a disk kept (or used) at `from` is removed unless used again. */
export const keepUntil = (from: Date, config: SandboxConfig = sandboxConfig()) => new Date(from.getTime() + config.keepDays * 86_400_000)

/**
 * Whether a stopping sandbox's disk is kept: not after a reset, and not for a new sandbox that
 * never started (a resumed one that failed keeps its disk: it holds the learner's work).
 */
export async function diskToKeep(db: Db, sandbox: { diskId: string | null; endReason: string | null }): Promise<string | null> {
  if (!sandbox.diskId || sandboxConfig().keepDays === 0 || sandbox.endReason === 'reset') return null
  const disk = await db.sandboxDisk.findUnique({ where: { id: sandbox.diskId }, select: { status: true, keptAt: true } })
  if (!disk || !['attached', 'keeping'].includes(disk.status)) return null
  if (sandbox.endReason === 'failed' && !disk.keptAt) return null
  return sandbox.diskId
}

/** Keep the disk of a stopping sandbox on its host (idempotent: a retry after a crash finishes it). */
export async function keepSandboxDisk(db: Db, placement: SandboxPlacement, sandboxId: string, diskId: string): Promise<void> {
  const config = sandboxConfig()
  await db.sandboxDisk.updateMany({ where: { id: diskId, status: { in: ['attached', 'stranded'] } }, data: { status: 'keeping' } })
  const kept = await placement.keep(sandboxId, diskId)
  const now = new Date()
  const disk = await db.sandboxDisk.findUnique({ where: { id: diskId }, select: { running: true, lastUsedAt: true } })
  // A retry that found nothing running (already stopped) keeps what the first attempt recorded.
  const running = Object.keys(kept.running).length > 0 ? JSON.stringify(kept.running) : (disk?.running ?? '{}')
  await db.sandboxDisk.updateMany({
    where: { id: diskId, status: 'keeping' },
    data: { status: 'kept', keptKb: Math.ceil(kept.bytes / 1024), running, keptAt: now, lastUsedAt: now, expiresAt: keepUntil(now, config) },
  })
}

/** The disk of a sandbox that was destroyed rather than kept: history, with why. */
export async function markDiskRemoved(db: Db, diskId: string, reason: string): Promise<void> {
  await db.sandboxDisk.updateMany({ where: { id: diskId, status: { in: ['attached', 'keeping'] } }, data: { status: 'removed', removedAt: new Date(), removeReason: reason } })
  await db.sandboxStep.deleteMany({ where: { diskId } })
}

