import fs from 'node:fs'
import path from 'node:path'
import type { Client as PostgresClient } from 'pg'
import Postgrator from 'postgrator'
import { databaseKind, resolveDatabaseUrl, sqliteFileFromUrl, type DatabaseKind } from './url'

// Migrations are plain SQL files in prisma/migrations/<kind>/, applied by Postgrator for both
// databases: Prisma 6's own `migrate deploy` needs a native engine download for PostgreSQL.
export function migrationsFolder(kind: DatabaseKind, root: string = process.cwd()): string {
  return path.join(root, 'prisma', 'migrations', kind)
}

export type MigrationResult = { kind: DatabaseKind; applied: string[] }

/**
 * Applies the migrations not yet applied, up to `target` (a version such as '0002'; default: the
 * latest). A PostgreSQL server that cannot be reached yet (a stack whose database starts after
 * quai-web) is waited for up to `waitMs` (default 60 s).
 */
export async function migrateDatabase(url: string = resolveDatabaseUrl(), options: { root?: string; target?: string; waitMs?: number } = {}): Promise<MigrationResult> {
  const root = options.root ?? process.cwd()
  const kind = databaseKind(url)
  const migrationPattern = path.join(migrationsFolder(kind, root), '*.do.*.sql')
  if (kind === 'sqlite') {
    const file = sqliteFileFromUrl(url, root)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(file)
    try {
      db.pragma('journal_mode = WAL')
      const postgrator = new Postgrator({
        migrationPattern,
        driver: 'sqlite3',
        execQuery: async (sql) => {
          const statement = db.prepare(sql)
          return { rows: statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []) }
        },
        execSqlScript: async (sql) => {
          db.exec(`BEGIN;\n${sql}\nCOMMIT;`)
        },
      })
      const applied = await postgrator.migrate(options.target)
      return { kind, applied: applied.map((m) => `${m.version}.${m.name}`) }
    } finally {
      db.close()
    }
  }
  const client = await connectWhenReachable(url, options.waitMs ?? 60_000)
  try {
    // Replicas of a new deployment start together on an empty database: one migrates, the
    // others wait for it here and then find nothing left to apply.
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey])
    const postgrator = new Postgrator({
      migrationPattern,
      driver: 'pg',
      database: client.database ?? '',
      execQuery: (sql) => client.query(sql),
      execSqlScript: async (sql) => {
        await client.query(`BEGIN;\n${sql}\nCOMMIT;`)
      },
    })
    const applied = await postgrator.migrate(options.target)
    return { kind, applied: applied.map((m) => `${m.version}.${m.name}`) }
  } finally {
    await client.end()
  }
}

/** Any constant shared by every Quai process: the session lock that serialises migrations. */
const migrationLockKey = 7_351_000_001

/** Errors of a server that is not there yet (its name not in DNS yet, not listening, starting up). */
const notReachableYet = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03'])

async function connectWhenReachable(url: string, waitMs: number): Promise<PostgresClient> {
  const { default: pg } = await import('pg')
  const deadline = Date.now() + waitMs
  let announced = false
  for (;;) {
    const client = new pg.Client({ connectionString: url })
    try {
      await client.connect()
      return client
    } catch (error) {
      await client.end().catch(() => undefined)
      const code = (error as { code?: string }).code ?? ''
      if (!notReachableYet.has(code) || Date.now() >= deadline) throw error
      if (!announced) {
        const { hostname, port } = new URL(url)
        console.log(`waiting for PostgreSQL at ${hostname}:${port || 5432} (${code}), up to ${Math.round(waitMs / 1000)} s`)
        announced = true
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}
