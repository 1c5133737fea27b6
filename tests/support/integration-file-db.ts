// Each integration test file works on its own copy of the database migrated by
// integration-setup.ts: files run in parallel workers, and SQLite refuses a second writer
// whose transaction started before the first one committed ("database is locked").
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const template = process.env.DATABASE_URL
if (template?.startsWith('file:')) {
  const source = template.slice('file:'.length)
  const copy = path.join(path.dirname(source), `file-${randomUUID().slice(0, 8)}.db`)
  fs.copyFileSync(source, copy)
  process.env.DATABASE_URL = `file:${copy}`
}
