// Every benchmark works on a throwaway SQLite database, migrated in a temporary folder and
// removed afterwards: never data/quai.db, never the DATABASE_URL of the shell that runs it.
// Parts that talk to the database in process (sandbox.ts, dashboard.ts) call
// openThrowawayDatabase(); parts that start a server give it a file of its own the same way.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrateDatabase } from '../../lib/db/migrate'

type Db = { $disconnect: () => Promise<void> }

// lib/db/client.server.ts keeps the process's one client on globalThis (getDb). A benchmark
// that changes DATABASE_URL drops it, so the next getDb() opens the throwaway database.
const globalForDb = globalThis as unknown as { quaiDb?: Promise<Db> }

async function dropClient(): Promise<void> {
  const client = globalForDb.quaiDb
  delete globalForDb.quaiDb
  if (client) await (await client.catch(() => null))?.$disconnect().catch(() => undefined)
}

export type ThrowawayDatabase = { url: string; dir: string; release: () => Promise<void> }

/**
 * Migrates a fresh SQLite database in a temporary folder (or in `keepDir`, emptied first and
 * left in place) and points this process at it: DATABASE_URL and getDb(). release() closes it,
 * restores the previous DATABASE_URL and removes the folder.
 */
export async function openThrowawayDatabase(label: string, keepDir?: string | null): Promise<ThrowawayDatabase> {
  let dir: string
  if (keepDir) {
    dir = path.resolve(keepDir)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `quai-bench-${label}-`))
  }
  const url = `file:${path.join(dir, 'quai.db')}`
  await migrateDatabase(url)
  const previous = process.env.DATABASE_URL
  await dropClient()
  process.env.DATABASE_URL = url
  let released = false
  return {
    url,
    dir,
    release: async () => {
      if (released) return
      released = true
      await dropClient()
      if (previous === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = previous
      if (!keepDir) fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
