import { readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase, migrationsFolder } from '@/lib/db/migrate'
import { createPostgresDatabase, type TestDatabase } from '../../support/postgres-database'
import { fixtureContent, freshClient, progressSuite } from '../../support/progress-suite'
import { overviewSuite } from './overview-suite'

// PostgreSQL mode, against a real server (tests/support/postgres-database.ts): unlike the
// classes suite, this file fails rather than skips when `npm test` did not start one.
let database: TestDatabase | undefined
let db: Db
let url: string

// '0002.do.class-dashboard-index.sql' → '2.class-dashboard-index', as Postgrator names them
function migrationNames(kind: 'postgresql'): string[] {
  return readdirSync(migrationsFolder(kind))
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => { const [version, , name] = file.replace(/\.sql$/, '').split('.'); return `${Number(version)}.${name}` })
}

beforeAll(async () => {
  database = await createPostgresDatabase('quai_test')
  url = database.url
  process.env.QUAI_CONTENT_DIR = fixtureContent
  process.env.DATABASE_URL = url
  expect((await migrateDatabase(url)).applied).toEqual(migrationNames('postgresql'))
  db = await freshClient()
})

afterAll(async () => {
  await db?.$disconnect()
  await database?.drop()
})

describe('progress on PostgreSQL', () => {
  progressSuite(() => db)
  overviewSuite(() => db)

  it('applies migrations once: a second run changes nothing', async () => {
    expect((await migrateDatabase(url)).applied).toEqual([])
  })
})
