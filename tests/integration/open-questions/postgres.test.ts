import { afterAll, beforeAll, describe, vi } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import type * as SessionModule from '@/lib/auth/session.server'
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../../support/postgres-database'
import { fixtureContent, freshClient } from '../../support/progress-suite'
import { openAnswersSuite } from './suite'

// The same suite on PostgreSQL (BYTEA files, JSONB criteria, its migration 0013). `npm test`
// starts a throwaway server and sets QUAI_TEST_POSTGRES_URL; without it, skipped.
vi.mock('@/lib/auth/session.server', async (importOriginal) => {
  const actual = await importOriginal<typeof SessionModule>()
  const { session } = await import('./suite')
  return {
    ...actual,
    requireApiUser: async (role?: string) => {
      if (!session.user) throw new actual.AuthError(401, 'sign-in required')
      if (role === 'instructor' && session.user.role !== 'instructor') throw new actual.AuthError(403, 'instructors only')
      return session.user
    },
  }
})
vi.mock('@/lib/classes/locale.server', () => ({ readerLocale: async () => 'fr' }))

let database: TestDatabase | undefined
let db: Db

describe.skipIf(!postgresAdminUrl)('open answers on PostgreSQL', () => {
  beforeAll(async () => {
    database = await createPostgresDatabase('quai_open')
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = database.url
    await migrateDatabase(database.url)
    db = await freshClient()
  })

  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  openAnswersSuite(() => db)
})
