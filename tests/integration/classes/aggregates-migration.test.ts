import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../../support/postgres-database'
import { fixtureContent, freshClient } from '../../support/progress-suite'

// Migration 0003 creates the counts the class dashboard reads (ExerciseProgress.passedAttempts,
// ExerciseAssertionFailure) and fills them from the runs already stored. Here: a database
// migrated up to 0002, runs stored the old way (rows only, no counts, with the odd shapes
// stored runs may have), then the real migration runner up to the latest version; the counts
// must equal the stored runs folded one by one (foldAttempt), learner by learner.

const at = (minute: number) => new Date(Date.UTC(2026, 10, 2, 9, minute))
const assertion = (id: string, passed: boolean, extra: Record<string, unknown> = {}) => ({ id, check: 0, passed, key: passed ? 'ok' : 'missing', params: {}, ...extra })

type Legacy = { userId: string; exerciseId: string; passed: boolean; assertions: unknown; minute: number }

/** Runs as an older Quai stored them: the rows, their ExerciseProgress, no counts. */
async function storeLegacyRuns(db: Db, kind: 'sqlite' | 'postgresql') {
  const [ana, bo, cy] = [randomUUID(), randomUUID(), randomUUID()]
  for (const id of [ana, bo, cy]) await db.user.create({ data: { id, name: id.slice(0, 6), email: `${id}@example.test` } })
  const runs: Legacy[] = [
    { userId: ana, exerciseId: 'reseau', passed: false, assertions: [assertion('exists', false, { params: { n: 1 } }), assertion('member', false)], minute: 1 },
    { userId: ana, exerciseId: 'reseau', passed: false, assertions: [assertion('exists', false, { params: { n: 2 } }), assertion('member', true)], minute: 2 },
    { userId: ana, exerciseId: 'reseau', passed: true, assertions: [assertion('exists', true), assertion('member', true)], minute: 3 },
    // A passed run counts no failure, even with a failed assertion in it.
    { userId: ana, exerciseId: 'reseau', passed: true, assertions: [assertion('exists', false)], minute: 4 },
    // Pending assertions, elements that are not assertions, and an id listed twice.
    {
      userId: bo,
      exerciseId: 'reseau',
      passed: false,
      assertions: [assertion('cmd', false, { pending: true }), 'x', null, [1], { passed: false }, { id: 7, passed: false }, assertion('member', false, { params: { n: 3 } }), assertion('member', false, { params: { n: 4 } })],
      minute: 5,
    },
    { userId: bo, exerciseId: 'reseau', passed: false, assertions: [assertion('exists', 'false' as never), assertion('exists', false, { pending: false })], minute: 6 },
    // Assertions stored as something other than an array.
    { userId: bo, exerciseId: 'conteneur', passed: false, assertions: { id: 'exists', passed: false }, minute: 7 },
    { userId: bo, exerciseId: 'conteneur', passed: false, assertions: [], minute: 8 },
    { userId: cy, exerciseId: 'conteneur', passed: false, assertions: [assertion('running', false)], minute: 9 },
    { userId: cy, exerciseId: 'conteneur', passed: true, assertions: [assertion('running', true)], minute: 10 },
  ]
  await db.exerciseAttempt.createMany({
    data: runs.map((r) => ({
      userId: r.userId,
      courseSlug: 'demo',
      lessonSlug: 'labo',
      exerciseId: r.exerciseId,
      passed: r.passed,
      passedCount: 0,
      totalCount: 1,
      assertions: r.assertions as object,
      durationMs: 10,
      createdAt: at(r.minute),
    })),
  })
  const progress = new Map<string, { userId: string; exerciseId: string; attempts: number }>()
  for (const r of runs) {
    const entry = progress.get(`${r.userId}/${r.exerciseId}`) ?? { userId: r.userId, exerciseId: r.exerciseId, attempts: 0 }
    entry.attempts++
    progress.set(entry.userId + '/' + entry.exerciseId, entry)
  }
  // Raw SQL: the client knows passedAttempts, which this schema does not have yet.
  for (const p of progress.values()) {
    if (kind === 'sqlite') {
      await db.$executeRaw`INSERT INTO "ExerciseProgress" ("id", "userId", "courseSlug", "lessonSlug", "exerciseId", "attempts", "updatedAt")
        VALUES (${randomUUID()}, ${p.userId}, 'demo', 'labo', ${p.exerciseId}, ${p.attempts}, ${new Date().toISOString().replace('Z', '+00:00')})`
    } else {
      await db.$executeRaw`INSERT INTO "ExerciseProgress" ("id", "userId", "courseSlug", "lessonSlug", "exerciseId", "attempts", "updatedAt")
        VALUES (${randomUUID()}, ${p.userId}, 'demo', 'labo', ${p.exerciseId}, ${p.attempts}, now())`
    }
  }
  if (kind === 'sqlite') {
    // A row SQLite holds as text that is not JSON at all: the backfill skips it rather than fail.
    const broken = await db.exerciseAttempt.create({
      data: { userId: cy, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'conteneur', passed: false, passedCount: 0, totalCount: 1, assertions: [], durationMs: 1, createdAt: at(11) },
      // Only the id: the database is migrated up to 0002, before columns added later (0011's score).
      select: { id: true },
    })
    await db.$executeRaw`UPDATE "ExerciseAttempt" SET "assertions" = 'not json' WHERE "id" = ${broken.id}`
    return { users: [ana, bo, cy], broken: broken.id }
  }
  return { users: [ana, bo, cy], broken: null }
}

async function expectCountsMatchRuns(db: Db, users: string[]) {
  const { emptyTally, failedAssertions, foldAttempt, tallyRows } = await import('../../support/attempt-recount')
  const expected: unknown[] = []
  for (const userId of users) {
    const tally = emptyTally()
    const attempts = await db.exerciseAttempt.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
    for (const a of attempts) foldAttempt(tally, a)
    for (const f of tallyRows(tally).failures) {
      const last = attempts.filter((a) => a.exerciseId === f.exerciseId && !a.passed && failedAssertions(a.assertions).some((x) => x.id === f.assertionId)).at(-1)!
      expected.push({ userId, exerciseId: f.exerciseId, assertionId: f.assertionId, failures: f.failures, sample: f.sample, lastFailedAt: last.createdAt })
    }
    for (const p of await db.exerciseProgress.findMany({ where: { userId } })) {
      const where = { userId, exerciseId: p.exerciseId }
      expect([p.exerciseId, p.passedAttempts]).toEqual([p.exerciseId, await db.exerciseAttempt.count({ where: { ...where, passed: true } })])
    }
  }
  const stored = (await db.exerciseAssertionFailure.findMany({ where: { userId: { in: users } }, include: { exerciseAssertion: true } })).map(({ exerciseAssertion, ...r }) => {
    expect(r.courseSlug).toBe(exerciseAssertion.courseSlug)
    return { ...r, exerciseId: exerciseAssertion.exerciseId, assertionId: exerciseAssertion.assertionId }
  })
  const key = (r: { userId: string; exerciseId: string; assertionId: string }) => `${users.indexOf(r.userId)}/${r.exerciseId}/${r.assertionId}`
  const sortByKey = <T extends { userId: string; exerciseId: string; assertionId: string }>(rows: T[]) => [...rows].sort((x, y) => key(x).localeCompare(key(y)))
  expect(sortByKey(stored.map((r) => ({ userId: r.userId, exerciseId: r.exerciseId, assertionId: r.assertionId, failures: r.failures, sample: r.sample, lastFailedAt: r.lastFailedAt })))).toEqual(
    sortByKey(expected as { userId: string; exerciseId: string; assertionId: string }[]),
  )
  // Each failing assertion id is named once per exercise, and only those.
  const named = await db.exerciseAssertion.findMany()
  expect(named.map((x) => `${x.courseSlug}/${x.lessonSlug}/${x.exerciseId}/${x.assertionId}`).sort()).toEqual(
    [...new Set(stored.map((r) => `demo/labo/${r.exerciseId}/${r.assertionId}`))].sort(),
  )
  return stored
}

function expectKnownCounts(stored: { userId: string; exerciseId: string; assertionId: string; failures: number; sample: unknown }[], users: string[]) {
  const rows = stored.map((r) => [users.indexOf(r.userId), r.exerciseId, r.assertionId, r.failures, (r.sample as { params?: { n?: number } }).params?.n ?? null]).sort((x, y) => String(x).localeCompare(String(y)))
  expect(rows).toEqual([
    [0, 'reseau', 'exists', 2, 2],
    [0, 'reseau', 'member', 1, null],
    [1, 'reseau', 'exists', 1, null],
    [1, 'reseau', 'member', 2, 4],
    [2, 'conteneur', 'running', 1, null],
  ])
}

describe('migration 0003 fills the counts from the stored runs, on SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-aggregates-'))
  const url = `file:${path.join(dir, 'quai.db')}`
  let db: Db | undefined

  afterAll(async () => {
    await db?.$disconnect()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('counts passed runs and failing assertions as folding the runs does', async () => {
    await migrateDatabase(url, { target: '0002' })
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = url
    db = await freshClient()
    const { users, broken } = await storeLegacyRuns(db, 'sqlite')
    expect((await migrateDatabase(url)).applied).toContain('3.exercise-aggregates')
    // Prisma cannot read the broken row back; the backfill counted nothing for it.
    await db.exerciseAttempt.deleteMany({ where: { id: broken! } })
    const stored = await expectCountsMatchRuns(db, users)
    expectKnownCounts(stored, users)
    expect((await db.exerciseProgress.findMany({ where: { userId: users[0] } })).map((p) => [p.exerciseId, p.attempts, p.passedAttempts])).toEqual([['reseau', 4, 2]])
  })
})

describe.skipIf(!postgresAdminUrl)('migration 0003 fills the counts from the stored runs, on PostgreSQL', () => {
  let database: TestDatabase | undefined
  let db: Db | undefined

  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  it('counts passed runs and failing assertions as folding the runs does', async () => {
    database = await createPostgresDatabase('quai_aggregates')
    const url = database.url
    await migrateDatabase(url, { target: '0002' })
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = url
    db = await freshClient()
    const { users } = await storeLegacyRuns(db, 'postgresql')
    expect((await migrateDatabase(url)).applied).toContain('3.exercise-aggregates')
    const stored = await expectCountsMatchRuns(db, users)
    expectKnownCounts(stored, users)
    expect((await db.exerciseProgress.findMany({ where: { userId: users[0] } })).map((p) => [p.exerciseId, p.attempts, p.passedAttempts])).toEqual([['reseau', 4, 2]])
  })
})
