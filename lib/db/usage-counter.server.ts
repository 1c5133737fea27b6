import 'server-only'
import { getDb } from './client.server'

// Fixed-window counters in the database (UsageCounter), shared by every server instance:
// the one store behind Quai's own limits. One statement counts and reads back, so two
// instances counting the same key at once both see the right total.

export type UsageWindow = { count: number; windowStart: number }

/** Counts one more use of `key` in its current window (a new window when the last one ended). */
export async function countUse(key: string, windowMs: number, now = Date.now()): Promise<UsageWindow> {
  const db = await getDb()
  const expired = BigInt(now - windowMs)
  const start = BigInt(now)
  const rows = await db.$queryRaw<{ count: number | bigint; windowStart: number | bigint }[]>`
    INSERT INTO "UsageCounter" ("key", "windowStart", "count") VALUES (${key}, ${start}, 1)
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "UsageCounter"."windowStart" <= ${expired} THEN 1 ELSE "UsageCounter"."count" + 1 END,
      "windowStart" = CASE WHEN "UsageCounter"."windowStart" <= ${expired} THEN ${start} ELSE "UsageCounter"."windowStart" END
    RETURNING "count", "windowStart"`
  const row = rows[0]
  if (!row) throw new Error(`usage counter ${key}: the upsert returned nothing`)
  return { count: Number(row.count), windowStart: Number(row.windowStart) }
}

/** The current window of `key`, or null when it has none or it has ended. */
export async function readUse(key: string, windowMs: number, now = Date.now()): Promise<UsageWindow | null> {
  const db = await getDb()
  const row = await db.usageCounter.findUnique({ where: { key } })
  if (!row || Number(row.windowStart) <= now - windowMs) return null
  return { count: row.count, windowStart: Number(row.windowStart) }
}

/** Forgets `key` (a success that clears earlier failures). */
export async function clearUse(key: string): Promise<void> {
  const db = await getDb()
  await db.usageCounter.deleteMany({ where: { key } })
}

/** Whole seconds until the window that holds `window` ends (at least 1). */
export function secondsUntilWindowEnds(window: UsageWindow, windowMs: number, now = Date.now()): number {
  return Math.max(1, Math.ceil((window.windowStart + windowMs - now) / 1000))
}

/** Drops windows that ended long ago (called by the sandbox runtime's periodic sweep). */
export async function pruneUsageCounters(olderThanMs = 24 * 60 * 60_000, now = Date.now()): Promise<number> {
  const db = await getDb()
  const { count } = await db.usageCounter.deleteMany({ where: { windowStart: { lt: BigInt(now - olderThanMs) } } })
  return count
}
