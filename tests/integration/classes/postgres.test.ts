import { afterAll, beforeAll, describe } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../../support/postgres-database'
import { fixtureContent, freshClient } from '../../support/progress-suite'
import { classesSuite } from './suite'

// The same suite on PostgreSQL (the failing-assertion query is written for each database).
// `npm test` starts a throwaway server and sets QUAI_TEST_POSTGRES_URL; without it, skipped.
let database: TestDatabase | undefined
let db: Db

describe.skipIf(!postgresAdminUrl)('classes on PostgreSQL', () => {
  beforeAll(async () => {
    database = await createPostgresDatabase('quai_classes')
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = database.url
    await migrateDatabase(database.url)
    db = await freshClient()
  })

  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  classesSuite(() => db)
})
