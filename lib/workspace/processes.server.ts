import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { killSandboxProcesses } from '../sandbox/process-limit.server'

/** POST /api/sandboxes/<id>/processes/kill: 404/403/409 as the other sandbox routes; else how many processes were killed. */
export async function killProcessesFor(user: SessionUser, sandboxId: string): Promise<{ killed: number }> {
  return killSandboxProcesses(user.id, sandboxId)
}
