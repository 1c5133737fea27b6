import { vi } from 'vitest'
import type * as SessionModule from '@/lib/auth/session.server'
import { describeOnPostgres } from '../../support/progress-suite'
import { openAnswersSuite } from './suite'

// The same suite on PostgreSQL (BYTEA files, JSONB criteria, its migration 0013).
vi.mock('@/lib/auth/session.server', async (importOriginal) => (await import('./suite')).sessionModuleWithTestUser(await importOriginal<typeof SessionModule>()))
vi.mock('@/lib/classes/locale.server', () => ({ readerLocale: async () => 'fr' }))

describeOnPostgres('open answers on PostgreSQL', 'quai_open', openAnswersSuite)
