import fs from 'node:fs'
import path from 'node:path'
import Postgrator from 'postgrator'
import { databaseKind, resolveDatabaseUrl, sqliteFileFromUrl, type DatabaseKind } from './url'

// Migrations are plain SQL files in prisma/migrations/<kind>/, applied by Postgrator for both
// databases: Prisma 6's own `migrate deploy` needs a native engine download for PostgreSQL.
export function migrationsFolder(kind: DatabaseKind, root: string = process.cwd()): string {
  return path.join(root, 'prisma', 'migrations', kind)
}

export type MigrationResult = { kind: DatabaseKind; applied: string[] }

/** Applies the migrations not yet applied, up to `target` (a version such as '0002'; default: the latest). */
export async function migrateDatabase(url: string = resolveDatabaseUrl(), options: { root?: string; target?: string } = {}): Promise<MigrationResult> {
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
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
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
