import 'server-only'
import { sessionDemands } from './session-demands.server'
import type { SandboxConfig } from './config.server'
import { defaultLayout, layoutKey, sandboxLayoutSchema } from './types'

/**
 * How many pooled sandboxes of each layout (by layoutKey) the warm pool should hold at `now`:
 * QUAI_SANDBOX_POOL_SIZE single-node ones, plus, for each class session starting within
 * QUAI_CLASS_SESSION_LEAD_MINUTES or under way (QUAI_CLASS_SESSION_WINDOW_MINUTES), one of its
 * lesson's layout per student without a sandbox. Bounded by capacity when they are made.
 */
export async function poolTargets(config: SandboxConfig, now: Date): Promise<Map<string, number>> {
  const targets = new Map<string, number>()
  if (config.poolSize > 0) targets.set(layoutKey(defaultLayout), config.poolSize)
  for (const demand of await sessionDemands(now, config.sessionLeadMinutes, config.sessionWindowMinutes)) {
    const layout = sandboxLayoutSchema.safeParse({ nodes: demand.nodes })
    if (!layout.success || demand.studentsWithoutSandbox <= 0) continue
    const key = layoutKey(layout.data)
    targets.set(key, (targets.get(key) ?? 0) + demand.studentsWithoutSandbox)
  }
  return targets
}
