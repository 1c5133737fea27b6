import 'server-only'
import { getDb } from '../db/client.server'
import { AgentsPlacement } from './agents-placement.server'
import { sandboxPlacement } from './state.server'
import { SandboxUnavailableError } from './types'

// Moving kept disks from one sandbox host to another (docs/persistence.md, "Several hosts"):
// before a host is drained for good, its learners' kept work goes to another. Each disk is
// marked "moving" (a resume waits), streamed from one agent straight into the other (a sparse
// tar), recorded on its new host, then removed from the old one. A failure puts it back as it
// was, kept where it was.

export type MoveResult = { moved: { diskId: string; bytes: number }[]; failed: { diskId: string; error: string }[] }

export async function moveKeptDisks(from: string, to: string, log: (line: string) => void = () => undefined): Promise<MoveResult> {
  const placement = sandboxPlacement()
  if (!(placement instanceof AgentsPlacement)) throw new SandboxUnavailableError('moving kept disks needs registered quai-agents (this server runs its sandboxes itself)')
  if (from === to) throw new SandboxUnavailableError('the two agents are the same')
  const [source, target] = await Promise.all([placement.clientOf(from), placement.clientOf(to)])
  const db = await getDb()
  const result: MoveResult = { moved: [], failed: [] }
  const disks = await db.sandboxDisk.findMany({ where: { placement: placement.name, agentName: from, status: 'kept' }, select: { id: true, keptKb: true } })
  for (const disk of disks) {
    const won = await db.sandboxDisk.updateMany({ where: { id: disk.id, status: 'kept', agentName: from }, data: { status: 'moving' } })
    if (won.count === 0) continue
    try {
      const stream = await source.exportKept(disk.id)
      const bytes = await target.importKept(disk.id, disk.keptKb * 1024, stream)
      await db.sandboxDisk.updateMany({ where: { id: disk.id, status: 'moving' }, data: { status: 'kept', agentName: to, keptKb: Math.ceil(bytes / 1024) } })
      await source.call('removeKept', { diskId: disk.id }).catch((error: unknown) => log(`${disk.id}: moved, but not removed from ${from} (reconcile removes it): ${(error as Error).message}`))
      result.moved.push({ diskId: disk.id, bytes })
      log(`${disk.id}: ${Math.round(bytes / 1024 / 1024)} MB moved from ${from} to ${to}`)
    } catch (error) {
      await target.call('removeKept', { diskId: disk.id }).catch(() => undefined)
      await db.sandboxDisk.updateMany({ where: { id: disk.id, status: 'moving' }, data: { status: 'kept' } })
      result.failed.push({ diskId: disk.id, error: (error as Error).message })
      log(`${disk.id}: not moved (still kept on ${from}): ${(error as Error).message}`)
    }
  }
  return result
}
