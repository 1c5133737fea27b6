import 'server-only'
import { getDb } from '../db/client.server'
import { afterMiss, retryAfterSeconds, type MissWindow } from './limiter'

// Wrong join codes per account, in the rate-limit table the auth library already keeps
// (keys of its own prefix; `lastRequest` holds the start of the window, in milliseconds).
const keyOf = (userId: string) => `quai:join-miss:${userId}`

async function readWindow(userId: string): Promise<MissWindow | null> {
  const db = await getDb()
  const row = await db.rateLimit.findUnique({ where: { key: keyOf(userId) }, select: { count: true, lastRequest: true } })
  return row ? { count: row.count, since: Number(row.lastRequest) } : null
}

export async function joinRetryAfter(userId: string, now = Date.now()): Promise<number> {
  return retryAfterSeconds(await readWindow(userId), now)
}

export async function recordJoinMiss(userId: string, now = Date.now()): Promise<void> {
  const db = await getDb()
  const key = keyOf(userId)
  await db.$transaction(async (tx) => {
    const row = await tx.rateLimit.findUnique({ where: { key }, select: { count: true, lastRequest: true } })
    const next = afterMiss(row ? { count: row.count, since: Number(row.lastRequest) } : null, now)
    await tx.rateLimit.upsert({
      where: { key },
      create: { id: key, key, count: next.count, lastRequest: BigInt(next.since) },
      update: { count: next.count, lastRequest: BigInt(next.since) },
    })
  })
}
