import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../../support/postgres-database'
import { fixtureContent, freshClient } from '../../support/progress-suite'

// Migration 0011 adds each run's grade (ExerciseAttempt.score) and a class's exam window. Runs
// stored before it get passedCount / totalCount (no weights were known then); classes have no
// exam. A database migrated up to 0009, runs stored then, the real runner up to the latest.

async function storeRunsBefore(db: Db): Promise<string> {
  const userId = randomUUID()
  await db.user.create({ data: { id: userId, name: 'ana', email: `${userId}@example.test` } })
  const counts = [
    [1, 3],
    [2, 2],
    [0, 0],
  ]
  for (const [i, [passedCount, totalCount]] of counts.entries()) {
    await db.exerciseAttempt.create({
      data: { userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: `e${i}`, passed: passedCount === totalCount, passedCount: passedCount!, totalCount: totalCount!, assertions: [], durationMs: 1 },
      // Only the id: the columns 0011 adds are not there yet.
      select: { id: true },
    })
  }
  await db.classroom.create({ data: { name: 'classe', joinCode: `M${randomUUID().slice(0, 9)}` }, select: { id: true } })
  return userId
}

async function expectFilled(db: Db, userId: string) {
  const runs = await db.exerciseAttempt.findMany({ where: { userId }, orderBy: { exerciseId: 'asc' }, select: { exerciseId: true, score: true } })
  expect(runs.map((r) => [r.exerciseId, r.score === null ? null : Math.round(r.score * 1e6) / 1e6])).toEqual([
    ['e0', 0.333333],
    ['e1', 1],
    ['e2', 0],
  ])
  const classes = await db.classroom.findMany({ select: { examStartsAt: true, examEndsAt: true, examLessons: true } })
  expect(classes).toEqual([{ examStartsAt: null, examEndsAt: null, examLessons: null }])
}

describe('migration 0011 grades the runs stored before it, on SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-grades-'))
  const url = `file:${path.join(dir, 'quai.db')}`
  let db: Db | undefined

  afterAll(async () => {
    await db?.$disconnect()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('gives each run passedCount / totalCount, and no class an exam', async () => {
    await migrateDatabase(url, { target: '0010' })
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = url
    db = await freshClient()
    const userId = await storeRunsBefore(db)
    expect((await migrateDatabase(url)).applied).toContain('11.exam-mode-and-grades')
    await expectFilled(db, userId)
  })
})

describe.skipIf(!postgresAdminUrl)('migration 0011 grades the runs stored before it, on PostgreSQL', () => {
  let database: TestDatabase | undefined
  let db: Db | undefined

  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  it('gives each run passedCount / totalCount, and no class an exam', async () => {
    database = await createPostgresDatabase('quai_grades')
    await migrateDatabase(database.url, { target: '0010' })
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = database.url
    db = await freshClient()
    const userId = await storeRunsBefore(db)
    expect((await migrateDatabase(database.url)).applied).toContain('11.exam-mode-and-grades')
    await expectFilled(db, userId)
  })
})
