// A throwaway SQLite database, migrated once before the integration tests start; each test
// file then works on its own copy of it (integration-file-db.ts).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrateDatabase } from '../../lib/db/migrate'

export default async function setup() {
  if (!process.env.DATABASE_URL) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-it-'))
    process.env.DATABASE_URL = `file:${path.join(dir, 'quai.db')}`
  }
  await migrateDatabase(process.env.DATABASE_URL)
}
