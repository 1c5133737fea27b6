import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { fixtureContent, freshClient } from '../../support/progress-suite'
import { classesSuite } from './suite'

// The same suite on PostgreSQL (the failing-assertion query is written for each database).
// `npm test` starts a throwaway server and sets QUAI_TEST_POSTGRES_URL; without it, skipped.
const adminUrl = process.env.QUAI_TEST_POSTGRES_URL
const database = `quai_classes_${randomUUID().replace(/-/g, '').slice(0, 12)}`
let db: Db

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

describe.skipIf(!adminUrl)('classes on PostgreSQL', () => {
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`)
    const parsed = new URL(adminUrl!)
    parsed.pathname = `/${database}`
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = parsed.toString()
    await migrateDatabase(parsed.toString())
    db = await freshClient()
  })

  afterAll(async () => {
    await db?.$disconnect()
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  })

  classesSuite(() => db)
})
