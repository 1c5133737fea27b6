import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { emptyTally, failedAssertions, foldAttempt, tallyRows } from '../../support/attempt-recount'
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../../support/postgres-database'
import { fixtureContent, freshClient } from '../../support/progress-suite'

// Migration 0006 takes live runs (ExerciseAttempt.trigger = 'live') out of the counts that
// recordAttempt kept for them before: attempts, passed attempts, first attempt, failing
// assertions. Here: a database migrated up to 0005, runs stored with the counts the former
// recordAttempt kept (every run counted, live ones too), then the real migration runner up to
// the latest version; the counts must equal the attempts alone folded one by one (foldAttempt),
// and the exercises without live runs must keep their rows as they were.

const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 9, minute))
const assertion = (id: string, passed: boolean, extra: Record<string, unknown> = {}) => ({ id, check: 0, passed, key: passed ? 'ok' : 'missing', params: {}, ...extra })

type Run = { userId: string; exerciseId: string; trigger: 'manual' | 'live'; passed: boolean; assertions: unknown; minute: number }

/** Runs and the counts the former recordAttempt kept: every run, live or not, was an attempt. */
async function storeRunsTheOldWay(db: Db) {
  const [reader, finisher, stuck, manualOnly] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
  for (const id of [reader, finisher, stuck, manualOnly]) await db.user.create({ data: { id, name: id.slice(0, 6), email: `${id}@example.test` } })
  const runs: Run[] = [
    // reader never pressed "Vérifier": 8 live failures on conteneur, the bug of issue 12.
    ...Array.from({ length: 8 }, (_, i): Run => ({ userId: reader, exerciseId: 'conteneur', trigger: 'live', passed: false, assertions: [assertion('running', false, { params: { n: i } })], minute: i })),
    { userId: reader, exerciseId: 'reseau', trigger: 'live', passed: false, assertions: [assertion('only-live', false)], minute: 9 },
    // finisher: a live failure, then an attempt that fails, then a live pass (completes it).
    { userId: finisher, exerciseId: 'reseau', trigger: 'live', passed: false, assertions: [assertion('exists', false, { params: { n: 10 } })], minute: 10 },
    { userId: finisher, exerciseId: 'reseau', trigger: 'manual', passed: false, assertions: [assertion('exists', false, { params: { n: 11 } }), assertion('member', false)], minute: 11 },
    { userId: finisher, exerciseId: 'reseau', trigger: 'live', passed: false, assertions: [assertion('exists', false, { params: { n: 12 } })], minute: 12 },
    { userId: finisher, exerciseId: 'reseau', trigger: 'live', passed: true, assertions: [assertion('exists', true), assertion('member', true)], minute: 13 },
    // stuck: attempts with odd shapes (pending, duplicate id, not an array) between live runs.
    { userId: stuck, exerciseId: 'reseau', trigger: 'manual', passed: false, assertions: [assertion('cmd', false, { pending: true }), 'x', assertion('member', false, { params: { n: 14 } }), assertion('member', false, { params: { n: 15 } })], minute: 14 },
    { userId: stuck, exerciseId: 'reseau', trigger: 'live', passed: false, assertions: [assertion('member', false, { params: { n: 16 } }), assertion('only-live', false)], minute: 16 },
    { userId: stuck, exerciseId: 'reseau', trigger: 'manual', passed: false, assertions: { id: 'member', passed: false }, minute: 17 },
    { userId: stuck, exerciseId: 'reseau', trigger: 'manual', passed: true, assertions: [assertion('member', true)], minute: 18 },
    // manualOnly: no live run at all; her rows must stay exactly as they were.
    { userId: manualOnly, exerciseId: 'reseau', trigger: 'manual', passed: false, assertions: [assertion('member', false, { params: { n: 19 } })], minute: 19 },
    { userId: manualOnly, exerciseId: 'conteneur', trigger: 'manual', passed: false, assertions: [assertion('running', false)], minute: 20 },
  ]
  await db.exerciseAttempt.createMany({
    data: runs.map((r) => ({
      userId: r.userId,
      courseSlug: 'demo',
      lessonSlug: 'labo',
      exerciseId: r.exerciseId,
      trigger: r.trigger,
      passed: r.passed,
      passedCount: r.passed ? 1 : 0,
      totalCount: 1,
      assertions: r.assertions as object,
      durationMs: 10,
      createdAt: at(r.minute),
    })),
  })
  // The former counts: every run folded, its trigger ignored.
  const byExercise = new Map<string, Run[]>()
  for (const r of runs) byExercise.set(`${r.userId}/${r.exerciseId}`, [...(byExercise.get(`${r.userId}/${r.exerciseId}`) ?? []), r])
  for (const list of byExercise.values()) {
    const { userId, exerciseId } = list[0]!
    const passed = list.filter((r) => r.passed)
    await db.exerciseProgress.create({
      data: {
        userId,
        courseSlug: 'demo',
        lessonSlug: 'labo',
        exerciseId,
        attempts: list.length,
        passedAttempts: passed.length,
        firstAttemptAt: at(list[0]!.minute),
        completedAt: passed[0] ? at(passed[0].minute) : null,
        hintsRevealed: userId === manualOnly ? 1 : 0,
      },
    })
    const tally = emptyTally()
    for (const r of list) foldAttempt(tally, { ...r, courseSlug: 'demo', lessonSlug: 'labo', createdAt: at(r.minute), trigger: 'manual' })
    for (const f of tallyRows(tally).failures) {
      const name = await db.exerciseAssertion.upsert({
        where: { courseSlug_lessonSlug_exerciseId_assertionId: { courseSlug: 'demo', lessonSlug: 'labo', exerciseId, assertionId: f.assertionId } },
        create: { courseSlug: 'demo', lessonSlug: 'labo', exerciseId, assertionId: f.assertionId },
        update: {},
      })
      const last = list.filter((r) => !r.passed && failedAssertions(r.assertions).some((x) => x.id === f.assertionId)).at(-1)!
      await db.exerciseAssertionFailure.create({ data: { userId, courseSlug: 'demo', exerciseAssertionId: name.id, failures: f.failures, sample: f.sample as object, lastFailedAt: at(last.minute) } })
    }
  }
  return { users: { reader, finisher, stuck, manualOnly }, runs }
}

type Counts = {
  progress: { user: number; exerciseId: string; attempts: number; passedAttempts: number; firstAttemptAt: Date | null; completedAt: Date | null }[]
  failures: { user: number; exerciseId: string; assertionId: string; failures: number; sample: unknown; lastFailedAt: Date }[]
}

/** The counts as stored, learner by learner, readable in a failure message. */
async function storedCounts(db: Db, users: string[]): Promise<Counts> {
  const progress = await db.exerciseProgress.findMany({ where: { userId: { in: users } } })
  const failures = await db.exerciseAssertionFailure.findMany({ where: { userId: { in: users } }, include: { exerciseAssertion: true } })
  return {
    progress: progress
      .map((p) => ({ user: users.indexOf(p.userId), exerciseId: p.exerciseId, attempts: p.attempts, passedAttempts: p.passedAttempts, firstAttemptAt: p.firstAttemptAt, completedAt: p.completedAt }))
      .sort((x, y) => `${x.user}/${x.exerciseId}`.localeCompare(`${y.user}/${y.exerciseId}`)),
    failures: failures
      .map((f) => ({ user: users.indexOf(f.userId), exerciseId: f.exerciseAssertion.exerciseId, assertionId: f.exerciseAssertion.assertionId, failures: f.failures, sample: f.sample, lastFailedAt: f.lastFailedAt }))
      .sort((x, y) => `${x.user}/${x.exerciseId}/${x.assertionId}`.localeCompare(`${y.user}/${y.exerciseId}/${y.assertionId}`)),
  }
}

/** The same counts from the stored runs, attempts only (foldAttempt leaves live runs out). */
async function recountedFromRuns(db: Db, users: string[], completed: Map<string, Date | null>): Promise<Counts> {
  const progress: Counts['progress'] = []
  const failures: Counts['failures'] = []
  for (const userId of users) {
    const runs = await db.exerciseAttempt.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
    const tally = emptyTally()
    for (const r of runs) foldAttempt(tally, r)
    for (const exerciseId of [...new Set(runs.map((r) => r.exerciseId))]) {
      const attempts = runs.filter((r) => r.exerciseId === exerciseId && r.trigger !== 'live')
      const folded = tally.runs.get(`demo/labo/${exerciseId}`)
      expect([folded?.total ?? 0, folded?.passed ?? 0]).toEqual([attempts.length, attempts.filter((r) => r.passed).length])
      progress.push({
        user: users.indexOf(userId),
        exerciseId,
        attempts: attempts.length,
        passedAttempts: attempts.filter((r) => r.passed).length,
        firstAttemptAt: attempts[0]?.createdAt ?? null,
        completedAt: completed.get(`${userId}/${exerciseId}`) ?? null,
      })
    }
    for (const f of tallyRows(tally).failures) {
      const last = runs.filter((r) => r.trigger !== 'live' && r.exerciseId === f.exerciseId && !r.passed && failedAssertions(r.assertions).some((x) => x.id === f.assertionId)).at(-1)!
      failures.push({ user: users.indexOf(userId), exerciseId: f.exerciseId, assertionId: f.assertionId, failures: f.failures, sample: f.sample, lastFailedAt: last.createdAt })
    }
  }
  const key = (x: { user: number; exerciseId: string; assertionId?: string }) => `${x.user}/${x.exerciseId}/${x.assertionId ?? ''}`
  return { progress: progress.sort((x, y) => key(x).localeCompare(key(y))), failures: failures.sort((x, y) => key(x).localeCompare(key(y))) }
}

async function migrateAndCompare(db: Db, url: string) {
  const { users, runs } = await storeRunsTheOldWay(db)
  const ids = [users.reader, users.finisher, users.stuck, users.manualOnly]
  const before = await storedCounts(db, ids)
  // The former counts hold the live runs: the reader has 8 "failed attempts" on conteneur.
  expect(before.progress.find((p) => p.user === 0 && p.exerciseId === 'conteneur')).toMatchObject({ attempts: 8, passedAttempts: 0 })
  const untouched = await db.exerciseProgress.findMany({ where: { userId: users.manualOnly }, orderBy: { exerciseId: 'asc' } })
  const untouchedFailures = await db.exerciseAssertionFailure.findMany({ where: { userId: users.manualOnly }, orderBy: { exerciseAssertionId: 'asc' } })

  expect((await migrateDatabase(url)).applied).toContain('6.live-runs-not-attempts')

  const after = await storedCounts(db, ids)
  const completed = new Map(before.progress.map((p) => [`${ids[p.user]}/${p.exerciseId}`, p.completedAt]))
  expect(after).toEqual(await recountedFromRuns(db, ids, completed))
  // What that means, exercise by exercise:
  expect(after.progress.map((p) => [p.user, p.exerciseId, p.attempts, p.passedAttempts, p.firstAttemptAt?.getUTCMinutes() ?? null, p.completedAt?.getUTCMinutes() ?? null])).toEqual([
    [0, 'conteneur', 0, 0, null, null],
    [0, 'reseau', 0, 0, null, null],
    // A live pass still completes the exercise.
    [1, 'reseau', 1, 0, 11, 13],
    [2, 'reseau', 3, 1, 14, 18],
    [3, 'conteneur', 1, 0, 20, null],
    [3, 'reseau', 1, 0, 19, null],
  ])
  expect(after.failures.map((f) => [f.user, f.exerciseId, f.assertionId, f.failures, (f.sample as { params?: { n?: number } }).params?.n ?? null])).toEqual([
    [1, 'reseau', 'exists', 1, 11],
    [1, 'reseau', 'member', 1, null],
    [2, 'reseau', 'member', 2, 15],
    [3, 'conteneur', 'running', 1, null],
    [3, 'reseau', 'member', 1, 19],
  ])
  // The runs themselves stay, flagged by their trigger; the exercises without live runs keep their rows.
  expect(await db.exerciseAttempt.count({ where: { userId: { in: ids } } })).toBe(runs.length)
  expect(await db.exerciseProgress.findMany({ where: { userId: users.manualOnly }, orderBy: { exerciseId: 'asc' } })).toEqual(untouched)
  expect(await db.exerciseAssertionFailure.findMany({ where: { userId: users.manualOnly }, orderBy: { exerciseAssertionId: 'asc' } })).toEqual(untouchedFailures)
  // An assertion that only live runs failed is named no more; the others are.
  const named = (await db.exerciseAssertion.findMany()).map((x) => `${x.exerciseId}/${x.assertionId}`).sort()
  expect(named).toEqual(['conteneur/running', 'reseau/exists', 'reseau/member'])
}

describe('migration 0006 takes live runs out of the counts, on SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-live-runs-'))
  const url = `file:${path.join(dir, 'quai.db')}`
  let db: Db | undefined

  afterAll(async () => {
    await db?.$disconnect()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('counts attempts, passed attempts, first attempts and failing assertions as folding the attempts alone does', async () => {
    await migrateDatabase(url, { target: '0005' })
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = url
    db = await freshClient()
    await migrateAndCompare(db, url)
  })
})

describe.skipIf(!postgresAdminUrl)('migration 0006 takes live runs out of the counts, on PostgreSQL', () => {
  let database: TestDatabase | undefined
  let db: Db | undefined

  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  it('counts attempts, passed attempts, first attempts and failing assertions as folding the attempts alone does', async () => {
    database = await createPostgresDatabase('quai_live_runs')
    await migrateDatabase(database.url, { target: '0005' })
    process.env.QUAI_CONTENT_DIR = fixtureContent
    process.env.DATABASE_URL = database.url
    db = await freshClient()
    await migrateAndCompare(db, database.url)
  })
})
