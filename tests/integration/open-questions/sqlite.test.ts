import { afterAll, beforeAll, describe, vi } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import type * as SessionModule from '@/lib/auth/session.server'
import { fixtureContent, freshClient } from '../../support/progress-suite'
import { openAnswersSuite, session } from './suite'

// Open answers on the embedded SQLite database (this file's copy of the migrated template).
vi.mock('@/lib/auth/session.server', async (importOriginal) => (await import('./suite')).sessionModuleWithTestUser(await importOriginal<typeof SessionModule>()))
vi.mock('@/lib/classes/locale.server', () => ({ readerLocale: async () => 'fr' }))

let db: Db
beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = fixtureContent
  db = await freshClient()
})
afterAll(async () => {
  session.user = null
  await db?.$disconnect()
})

describe('open answers on SQLite', () => {
  openAnswersSuite(() => db)
})
