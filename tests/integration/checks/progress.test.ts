import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '../../../lib/db/client.server'
import { migrateDatabase } from '../../../lib/db/migrate'
import { createUser, fixtureContent, freshClient } from '../../support/progress-suite'

// Recording attempts, hints and solutions on a real (throwaway, migrated) SQLite database,
// with the fixture course demo/labo (two exercises, two hints on the first).

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-exercises-'))
const url = `file:${path.join(dir, 'quai.db')}`
let db: Db
type ProgressModule = typeof import('../../../lib/progress/exercises.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- imported after DATABASE_URL is set
type LessonsModule = typeof import('../../../lib/content/lessons.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- same
let progress: ProgressModule
let lessons: LessonsModule

beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = fixtureContent
  process.env.DATABASE_URL = url
  await migrateDatabase(url)
  db = await freshClient()
  progress = await import('../../../lib/progress/exercises.server')
  lessons = await import('../../../lib/content/lessons.server')
})

afterAll(async () => {
  await db.$disconnect()
  fs.rmSync(dir, { recursive: true, force: true })
})

const assertion = (id: string, passed: boolean) => ({ id, check: 0, passed, key: 'network.exists.ok', params: { name: 'demo-net', suggestion: '', driver: 'bridge' } })
const run = (passed: boolean) => ({ passedCount: passed ? 2 : 1, totalCount: 2, durationMs: 12.4, assertions: [assertion('network:demo-net:exists', true), assertion('network:demo-net:driver', passed)] })
const exercise = (id: string) => lessons.getLesson('demo', 'labo')!.exercises.find((e) => e.id === id)!

describe('recording attempts', () => {
  test('a failed then a passing attempt: stored with every assertion; the exercise, then the lesson, complete', async () => {
    const userId = await createUser(db)
    const base = { userId, courseSlug: 'demo', lessonSlug: 'labo' }
    const first = await progress.recordAttempt({ ...base, exerciseId: 'reseau', trigger: 'manual', result: run(false) })
    expect(first).toMatchObject({ passed: false, completed: false, firstCompletion: false, attempts: 1 })
    const second = await progress.recordAttempt({ ...base, exerciseId: 'reseau', trigger: 'live', result: run(true) })
    // A live run completes the exercise but is not an attempt (the learner did not click Vérifier).
    expect(second).toMatchObject({ passed: true, completed: true, firstCompletion: true, attempts: 1 })
    const third = await progress.recordAttempt({ ...base, exerciseId: 'reseau', trigger: 'manual', result: run(false) })
    expect(third).toMatchObject({ passed: false, completed: true, firstCompletion: false, attempts: 2 })

    const rows = await db.exerciseAttempt.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
    expect(rows.map((r) => [r.passed, r.passedCount, r.totalCount, r.trigger, r.durationMs])).toEqual([
      [false, 1, 2, 'manual', 12],
      [true, 2, 2, 'live', 12],
      [false, 1, 2, 'manual', 12],
    ])
    expect(rows[0]!.assertions).toEqual(run(false).assertions)
    const row = await db.exerciseProgress.findFirstOrThrow({ where: { userId, exerciseId: 'reseau' } })
    expect(row.attempts).toBe(2)
    expect(row.passedAttempts).toBe(0)
    // The class dashboard's count of failing assertions: the driver failed in two attempts, the last one's message kept.
    const failures = await db.exerciseAssertionFailure.findMany({ where: { userId }, include: { exerciseAssertion: true } })
    expect(failures.map((f) => [f.exerciseAssertion.exerciseId, f.exerciseAssertion.assertionId, f.failures])).toEqual([['reseau', 'network:demo-net:driver', 2]])
    expect(failures[0]!.lastFailedAt).toEqual(rows[2]!.createdAt)
    expect(failures[0]!.sample).toEqual(assertion('network:demo-net:driver', false))
    expect(row.firstAttemptAt).not.toBeNull()
    expect(row.completedAt).not.toBeNull()

    expect((await db.lessonProgress.findFirst({ where: { userId } }))?.completedAt ?? null).toBeNull()
    await progress.recordAttempt({ ...base, exerciseId: 'conteneur', trigger: 'manual', result: run(true) })
    expect((await db.lessonProgress.findFirstOrThrow({ where: { userId } })).completedAt).not.toBeNull()

    const states = await progress.getExerciseStates(userId, 'demo', 'labo', lessons.getLesson('demo', 'labo')!.exercises)
    expect(states.reseau).toMatchObject({ attempts: 2, completed: true, hints: [], hintCount: 2, solution: null, lastAttempt: { passed: false, passedCount: 1 } })
    expect(states.conteneur).toMatchObject({ attempts: 1, completed: true })
  })

  test('concurrent check requests are all stored, counted once each', async () => {
    const userId = await createUser(db)
    const n = 25
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => progress.recordAttempt({ userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', trigger: 'manual', result: run(i % 5 === 4) })),
    )
    expect(await db.exerciseAttempt.count({ where: { userId } })).toBe(n)
    const row = await db.exerciseProgress.findFirstOrThrow({ where: { userId, exerciseId: 'reseau' } })
    expect(row.attempts).toBe(n)
    expect(row.passedAttempts).toBe(await db.exerciseAttempt.count({ where: { userId, passed: true } }))
    expect(row.passedAttempts).toBe(5)
    expect((await db.exerciseAssertionFailure.findFirstOrThrow({ where: { userId, exerciseAssertion: { assertionId: 'network:demo-net:driver' } } })).failures).toBe(n - 5)
    expect(results.filter((r) => r.firstCompletion)).toHaveLength(1)
    expect(new Set(results.map((r) => r.attempts)).size).toBe(n)
  })

  test('an attempt whose progress update fails leaves nothing behind', async () => {
    const userId = await createUser(db)
    await db.$executeRawUnsafe(
      `CREATE TRIGGER quai_test_fail_progress BEFORE UPDATE ON ExerciseProgress WHEN NEW.exerciseId = 'conteneur' AND NEW.userId = '${userId}' BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`,
    )
    try {
      await expect(progress.recordAttempt({ userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'conteneur', trigger: 'manual', result: run(true) })).rejects.toThrow()
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER quai_test_fail_progress')
    }
    expect(await db.exerciseAttempt.count({ where: { userId } })).toBe(0)
    expect(await db.exerciseProgress.count({ where: { userId } })).toBe(0)
  })

  test('a failed attempt whose last write fails leaves no failure counted', async () => {
    const userId = await createUser(db)
    const base = { userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', trigger: 'manual' as const }
    await progress.recordAttempt({ ...base, result: run(false) })
    // The first-attempt time is the last thing recordAttempt writes, after the failing assertions.
    await db.$executeRawUnsafe(
      `CREATE TRIGGER quai_test_fail_first BEFORE UPDATE ON ExerciseProgress WHEN NEW.exerciseId = 'conteneur' AND NEW.userId = '${userId}' AND OLD.firstAttemptAt IS NULL AND NEW.firstAttemptAt IS NOT NULL BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`,
    )
    try {
      await expect(progress.recordAttempt({ ...base, exerciseId: 'conteneur', result: run(false) })).rejects.toThrow()
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER quai_test_fail_first')
    }
    expect(await db.exerciseAttempt.count({ where: { userId } })).toBe(1)
    expect((await db.exerciseProgress.findMany({ where: { userId } })).map((p) => [p.exerciseId, p.attempts, p.passedAttempts])).toEqual([['reseau', 1, 0]])
    expect((await db.exerciseAssertionFailure.findMany({ where: { userId }, include: { exerciseAssertion: true } })).map((f) => [f.exerciseAssertion.exerciseId, f.failures])).toEqual([['reseau', 1]])
  })
})

describe('hints and solutions', () => {
  test('hints come one at a time, in order; asking twice records once', async () => {
    const userId = await createUser(db)
    const ref = { userId, courseSlug: 'demo', lessonSlug: 'labo', exercise: exercise('reseau') }
    await expect(progress.revealHint({ ...ref, index: 1 })).rejects.toMatchObject({ code: 'hint_out_of_order', details: { next: 0 } })
    expect(await progress.revealHint({ ...ref, index: 0 })).toEqual({ hints: ['Regardez docker network create.'], total: 2, recorded: true })
    expect(await progress.revealHint({ ...ref, index: 0 })).toMatchObject({ recorded: false })
    const second = await progress.revealHint({ ...ref, index: 1 })
    expect(second).toMatchObject({ total: 2, recorded: true })
    expect(second.hints).toHaveLength(2)
    expect(await progress.revealHint({ ...ref, index: 1 })).toMatchObject({ recorded: false, hints: second.hints })
    await expect(progress.revealHint({ ...ref, index: 2 })).rejects.toMatchObject({ code: 'no_such_hint' })
    const events = await db.exerciseEvent.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
    expect(events.map((e) => [e.kind, e.hintIndex])).toEqual([['hint', 0], ['hint', 1]])
  })

  test('the same hint asked for by racing requests is recorded once', async () => {
    const userId = await createUser(db)
    const ref = { userId, courseSlug: 'demo', lessonSlug: 'labo', exercise: exercise('reseau'), index: 0 }
    const results = await Promise.all(Array.from({ length: 12 }, () => progress.revealHint(ref)))
    expect(results.filter((r) => r.recorded)).toHaveLength(1)
    expect(await db.exerciseEvent.count({ where: { userId } })).toBe(1)
    expect((await db.exerciseProgress.findFirstOrThrow({ where: { userId } })).hintsRevealed).toBe(1)
  })

  test('the solution is recorded once and then part of the state', async () => {
    const userId = await createUser(db)
    const ref = { userId, courseSlug: 'demo', lessonSlug: 'labo', exercise: exercise('conteneur') }
    const [a, b] = await Promise.all([progress.revealSolution(ref), progress.revealSolution(ref)])
    expect([a.recorded, b.recorded].sort()).toEqual([false, true])
    expect(a.solution).toContain('docker run')
    expect(await db.exerciseEvent.count({ where: { userId, kind: 'solution' } })).toBe(1)
    const states = await progress.getExerciseStates(userId, 'demo', 'labo', lessons.getLesson('demo', 'labo')!.exercises)
    expect(states.conteneur).toMatchObject({ solutionRevealed: true, solution: a.solution, attempts: 0, completed: false })
    expect(states.reseau!.solution).toBeNull()
  })
})
