import 'server-only'
import { PrismaClient } from '../generated/prisma/client'
import { databaseKind, resolveDatabaseUrl, sqliteFileFromUrl } from './url'

export type Db = PrismaClient

async function createClient(url: string): Promise<Db> {
  if (databaseKind(url) === 'sqlite') {
    const { PrismaBetterSQLite3 } = await import('@prisma/adapter-better-sqlite3')
    // A busy timeout lets concurrent writers queue instead of failing with SQLITE_BUSY.
    return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: sqliteFileFromUrl(url), timeout: 10_000 }) })
  }
  const [{ PrismaPg }, { PrismaClient: PrismaPgClient }] = await Promise.all([
    import('@prisma/adapter-pg'),
    import('../generated/prisma-pg/client'),
  ])
  // Both generated clients come from the same models, so they expose the same API.
  return new PrismaPgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db
}

const globalForDb = globalThis as unknown as { quaiDb?: Promise<Db> }

/** The one database client of this process (kept on globalThis so dev reloads reuse it). */
export function getDb(): Promise<Db> {
  globalForDb.quaiDb ??= createClient(resolveDatabaseUrl())
  return globalForDb.quaiDb
}
