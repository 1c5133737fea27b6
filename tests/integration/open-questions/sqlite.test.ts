import { afterAll, beforeAll, describe, vi } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import type * as SessionModule from '@/lib/auth/session.server'
import { fixtureContent, freshClient } from '../../support/progress-suite'
import { openAnswersSuite, session } from './suite'

// Open answers on the embedded SQLite database (this file's copy of the migrated template).
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
