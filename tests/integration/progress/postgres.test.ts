import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase, migrationsFolder } from '@/lib/db/migrate'
import { fixtureContent, freshClient, progressSuite } from '../../support/progress-suite'

// PostgreSQL mode, against a real server: `npm test` starts a throwaway cluster and sets
// QUAI_TEST_POSTGRES_URL (a role allowed to create databases); each run gets its own database.
const adminUrl = process.env.QUAI_TEST_POSTGRES_URL
const database = `quai_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`
let db: Db
let url: string

// '0002.do.class-dashboard-index.sql' → '2.class-dashboard-index', as Postgrator names them
function migrationNames(kind: 'postgresql'): string[] {
  return readdirSync(migrationsFolder(kind))
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => { const [version, , name] = file.replace(/\.sql$/, '').split('.'); return `${Number(version)}.${name}` })
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

beforeAll(async () => {
  if (!adminUrl) throw new Error('QUAI_TEST_POSTGRES_URL is not set: run the tests with `npm test`, which starts PostgreSQL for them')
  await admin((c) => c.query(`CREATE DATABASE ${database}`))
  const parsed = new URL(adminUrl)
  parsed.pathname = `/${database}`
  url = parsed.toString()
  process.env.QUAI_CONTENT_DIR = fixtureContent
  process.env.DATABASE_URL = url
  expect((await migrateDatabase(url)).applied).toEqual(migrationNames('postgresql'))
  db = await freshClient()
})

afterAll(async () => {
  await db?.$disconnect()
  if (adminUrl) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
})

describe('progress on PostgreSQL', () => {
  progressSuite(() => db)

  it('applies migrations once: a second run changes nothing', async () => {
    expect((await migrateDatabase(url)).applied).toEqual([])
  })
})
