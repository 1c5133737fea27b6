import 'server-only'
import { getDb } from '../db/client.server'
import { requireRunningSandbox } from './sandboxes.server'
import { sandboxPlacement } from './state.server'

// A sandbox out of processes (a fork bomb, a runaway loop of `docker run`): its pids limit
// holds, and every new shell or check command fails with "Cannot fork". Quai recognises the
// state, says it, and can kill the learner's processes without touching what runs the nodes.

/** What a shell or exec prints when it cannot create a process (EAGAIN from fork or clone). */
const forkFailure = /cannot fork|fork: retry|fork(?: failed)?: resource temporarily unavailable/i

export function isForkFailure(text: string): boolean {
  return forkFailure.test(text)
}

/** True when the sandbox's processes are at its limit (within a few: a fork bomb's count moves as its processes come and go). */
export async function processLimitReached(sandboxId: string): Promise<boolean> {
  const count = await sandboxPlacement().processCount(sandboxId)
  if (!count) return false
  return count.current >= count.max - Math.max(2, Math.floor(count.max / 100))
}

/** The learner's "Arrêter mes processus": their sandbox keeps its nodes and daemons, everything else they started is killed. */
export async function killSandboxProcesses(userId: string, sandboxId: string): Promise<{ killed: number }> {
  await requireRunningSandbox(userId, sandboxId)
  const db = await getDb()
  const nodes = await db.sandboxNode.findMany({ where: { sandboxId }, select: { containerId: true } })
  return { killed: await sandboxPlacement().killLearnerProcesses(sandboxId, nodes) }
}
