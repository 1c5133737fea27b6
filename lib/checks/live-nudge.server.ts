import 'server-only'
import { countUse, readUse } from '../db/usage-counter.server'

// A file saved from the editor makes no Docker event, so the instance that saved it nudges the
// sandbox's live hub. That hub may live in another quai-web instance (the browser's live stream
// and its file calls reach whichever instance the balancer picks), so a nudge is published in
// the database, as one more use of a per-sandbox counter (UsageCounter, the store every instance
// shares), and every hub of the sandbox, in any instance, polls that counter while it has
// subscribers: one primary-key read per watched sandbox per second.

/** How often a hub reads its sandbox's nudge counter. */
export const liveNudgePollMs = 1000
/** The counter's window: a day, the same age at which pruneUsageCounters drops ended windows. */
const nudgeWindowMs = 24 * 60 * 60_000

const nudgeKey = (sandboxId: string) => `live-nudge:${sandboxId}`

/** Which nudge a sandbox is at: any change means a file changed since (null: none in the last day). */
export type NudgeGeneration = string | null

const generationOf = (window: { count: number; windowStart: number } | null): NudgeGeneration => (window ? `${window.windowStart}:${window.count}` : null)

/** Tells every instance's hub of this sandbox that its files changed; returns the new generation. */
export async function publishLiveNudge(sandboxId: string, now = Date.now()): Promise<NudgeGeneration> {
  return generationOf(await countUse(nudgeKey(sandboxId), nudgeWindowMs, now))
}

/** The sandbox's current nudge generation. */
export async function liveNudgeGeneration(sandboxId: string, now = Date.now()): Promise<NudgeGeneration> {
  return generationOf(await readUse(nudgeKey(sandboxId), nudgeWindowMs, now))
}
