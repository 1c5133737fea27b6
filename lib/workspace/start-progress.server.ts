import 'server-only'
import { sandboxPlacement } from '../sandbox/state.server'
import { startProgress } from '../sandbox/start-queue.server'
import type { StartProgressView } from './api'

/** The learner's place in the start queue (answered from the database by any instance). */
export async function startProgressFor(userId: string): Promise<StartProgressView> {
  return startProgress(userId, sandboxPlacement().name)
}
