import { describe, expect, it } from 'vitest'
import { isRetryableConflict } from '@/lib/sandbox/serializable.server'

describe('isRetryableConflict', () => {
  it("retries PostgreSQL's serialization failure as @prisma/adapter-pg reports it (message: its kind, no code)", () => {
    const error = Object.assign(new Error('TransactionWriteConflict'), { name: 'DriverAdapterError', cause: { kind: 'TransactionWriteConflict' } })
    expect(isRetryableConflict(error)).toBe(true)
  })

  it('retries Prisma codes and SQLite busy errors, not other failures', () => {
    expect(isRetryableConflict({ code: 'P2034' })).toBe(true)
    expect(isRetryableConflict(new Error('SqliteError: database is locked'))).toBe(true)
    expect(isRetryableConflict(new Error('unique constraint failed'))).toBe(false)
  })
})
