import 'server-only'
import { getDb } from '../db/client.server'

// The content version shared by every web instance (ContentVersion, one row): a production
// server keeps the lesson files it loaded until this number moves.

const ROW = 1

export type ContentVersionInfo = { version: number; reloadedAt: string | null }

export async function readContentVersion(): Promise<ContentVersionInfo> {
  const row = await (await getDb()).contentVersion.findUnique({ where: { id: ROW } })
  return { version: row?.version ?? 0, reloadedAt: row?.reloadedAt.toISOString() ?? null }
}

/** One more version, whoever asks: two instructors reloading at once both move it. */
export async function bumpContentVersion(userId: string): Promise<ContentVersionInfo> {
  const row = await (await getDb()).contentVersion.upsert({
    where: { id: ROW },
    create: { id: ROW, version: 1, reloadedBy: userId },
    update: { version: { increment: 1 }, reloadedAt: new Date(), reloadedBy: userId },
  })
  return { version: row.version, reloadedAt: row.reloadedAt.toISOString() }
}
