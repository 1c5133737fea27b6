import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { fixtureContent, freshClient } from '../../support/progress-suite'
import { classesSuite } from './suite'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-classes-'))
const url = `file:${path.join(dir, 'quai.db')}`
let db: Db

beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = fixtureContent
  process.env.DATABASE_URL = url
  await migrateDatabase(url)
  db = await freshClient()
})

afterAll(async () => {
  await db.$disconnect()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('classes on the embedded SQLite database', () => {
  classesSuite(() => db)
})
