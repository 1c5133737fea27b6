import 'server-only'
import { sessionDemands } from './session-demands.server'
import type { SandboxConfig } from './config.server'
import { defaultLayout, layoutKey, sandboxLayoutSchema } from './types'

/** What the warm pool aims at for one layout: how many, and of them how many for each session's lesson ("course/lesson"). */
export type PoolTarget = { count: number; lessons: Map<string, number> }

/**
 * How many pooled sandboxes of each layout (by layoutKey) the warm pool should hold at `now`:
 * QUAI_SANDBOX_POOL_SIZE single-node ones, plus, for each class session starting within
 * QUAI_CLASS_SESSION_LEAD_MINUTES or under way (QUAI_CLASS_SESSION_WINDOW_MINUTES), one of its
 * lesson's layout per student without a sandbox (warmed with that lesson's files). Bounded by
 * capacity when they are made.
 */
export async function poolTargets(config: SandboxConfig, now: Date): Promise<Map<string, PoolTarget>> {
  const targets = new Map<string, PoolTarget>()
  const target = (key: string) => targets.get(key) ?? targets.set(key, { count: 0, lessons: new Map() }).get(key)!
  if (config.poolSize > 0) target(layoutKey(defaultLayout)).count += config.poolSize
  for (const demand of await sessionDemands(now, config.sessionLeadMinutes, config.sessionWindowMinutes)) {
    const layout = sandboxLayoutSchema.safeParse({ nodes: demand.nodes })
    if (!layout.success || demand.studentsWithoutSandbox <= 0) continue
    const t = target(layoutKey(layout.data))
    const lessonKey = `${demand.courseSlug}/${demand.lessonSlug}`
    t.count += demand.studentsWithoutSandbox
    t.lessons.set(lessonKey, (t.lessons.get(lessonKey) ?? 0) + demand.studentsWithoutSandbox)
  }
  return targets
}
