import { describe, expect, it } from 'vitest'
import { getDb } from '@/lib/db/client.server'
import { databaseKind, resolveDatabaseUrl } from '@/lib/db/url'

// The embedded SQLite database as the app's one client opens it: WAL (set by the migration, kept
// in the file) and commits without an fsync each (synchronous=NORMAL, better-sqlite3's build
// default in WAL mode, which SQLite advises for WAL: a crash of Quai loses nothing committed).
describe('the SQLite client', () => {
  it('writes in WAL mode with synchronous=NORMAL', async () => {
    expect(databaseKind(resolveDatabaseUrl())).toBe('sqlite')
    const db = await getDb()
    const [journal] = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode')
    const [sync] = await db.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous')
    expect(journal?.journal_mode).toBe('wal')
    expect(Number(sync?.synchronous)).toBe(1) // NORMAL (FULL is 2, SQLite's default)
  })
})
