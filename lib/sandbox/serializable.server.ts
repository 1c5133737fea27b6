import 'server-only'
import type { Db } from '../db/client.server'

// Decisions that must not race (one live sandbox per learner, capacity, creation rate, pool
// claims, start slots) are taken in serializable transactions, retried on conflict.

/**
 * A conflict worth another try. Through @prisma/adapter-pg, PostgreSQL's 40001 arrives as a
 * DriverAdapterError whose message is only its kind, `TransactionWriteConflict`, with no code.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown }
  const cause = e?.cause as { message?: unknown; kind?: unknown } | undefined
  const text = `${String(e?.message ?? '')} ${String(cause?.message ?? '')} ${String(cause?.kind ?? '')}`
  return e?.code === 'P2034' || e?.code === 'P1008' || /SQLITE_BUSY|database is locked|could not serialize|40001|deadlock|write ?conflict/i.test(text)
}

export async function serializable<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.$transaction((tx) => fn(tx as unknown as Db), { isolationLevel: 'Serializable', maxWait: 10_000, timeout: 20_000 })
    } catch (error) {
      if (!isRetryableConflict(error) || attempt >= 8) throw error
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80 * (attempt + 1)))
    }
  }
}
