import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from './postgres-database'

// The same progress rules, run against whichever database DATABASE_URL names (SQLite or PostgreSQL).

export const fixtureContent = path.join(import.meta.dirname, '..', 'fixtures', 'content')

export async function freshClient(): Promise<Db> {
  ;(globalThis as { quaiDb?: unknown }).quaiDb = undefined
  const { getDb } = await import('@/lib/db/client.server')
  return getDb()
}

/**
 * A suite on a throwaway PostgreSQL database of its own, migrated, with the fixtures' content.
 * `npm test` starts a server and sets QUAI_TEST_POSTGRES_URL; without it, the suite is skipped.
 */
export function describeOnPostgres(title: string, databasePrefix: string, suite: (getDatabase: () => Db) => void): void {
  let database: TestDatabase | undefined
  let db: Db
  describe.skipIf(!postgresAdminUrl)(title, () => {
    beforeAll(async () => {
      database = await createPostgresDatabase(databasePrefix)
      process.env.QUAI_CONTENT_DIR = fixtureContent
      process.env.DATABASE_URL = database.url
      await migrateDatabase(database.url)
      db = await freshClient()
    })

    afterAll(async () => {
      await db?.$disconnect()
      await database?.drop()
    })

    suite(() => db)
  })
}

export async function createUser(db: Db, role = 'student') {
  const id = randomUUID()
  await db.user.create({ data: { id, name: `user-${id.slice(0, 6)}`, email: `${id}@example.test`, role } })
  return id
}

export function progressSuite(getDatabase: () => Db) {
  const load = async () => {
    const lessons = await import('@/lib/content/lessons.server')
    const progress = { ...(await import('@/lib/progress/lessons.server')), ...(await import('@/lib/quiz/submit.server')) }
    return { lesson: lessons.getLesson('demo', 'quiz-lesson')!, progress }
  }

  it('stores a wrong then a right attempt, shows best and last, and completes the lesson', async () => {
    const db = getDatabase()
    const { lesson, progress } = await load()
    const userId = await createUser(db)
    await progress.markLessonStarted(userId, 'demo', 'quiz-lesson')
    expect((await progress.lessonProgress(userId, 'demo', 'quiz-lesson')).status).toBe('in-progress')

    const wrong = await progress.submitQuiz(userId, lesson, { submissionId: randomUUID(), answers: { dns: 'nope' } })
    expect(wrong.grade.passed).toBe(false)
    expect((await progress.lessonProgress(userId, 'demo', 'quiz-lesson')).status).toBe('in-progress')

    const right = await progress.submitQuiz(userId, lesson, {
      submissionId: randomUUID(),
      answers: { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'], flag: '--internal', case: 'Overlay' },
    })
    expect(right.grade.percent).toBe(100)
    const view = await progress.lessonProgress(userId, 'demo', 'quiz-lesson')
    expect(view.status).toBe('completed')
    expect(view.quiz).toMatchObject({ attempts: 2, best: { percent: 100 }, last: { percent: 100 } })

    // A later, worse attempt changes "last" but neither "best" nor completion.
    await progress.submitQuiz(userId, lesson, { submissionId: randomUUID(), answers: {} })
    const after = await progress.lessonProgress(userId, 'demo', 'quiz-lesson')
    expect(after.quiz).toMatchObject({ attempts: 3, best: { percent: 100 }, last: { percent: 0 } })
    expect(after.status).toBe('completed')

    const stored = await db.quizAttempt.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })
    expect(stored.map((a) => a.score)).toEqual([0, 5, 0])
    expect(stored[0]!.answers).toEqual({ dns: 'nope' })
  })

  it('opening the lesson page writes its progress row the first time, then at most once per pageViewTouchMs', async () => {
    const db = getDatabase()
    const { progress } = await load()
    const userId = await createUser(db)
    const where = { userId_courseSlug_lessonSlug: { userId, courseSlug: 'demo', lessonSlug: 'quiz-lesson' } }
    expect((await progress.lessonProgress(userId, 'demo', 'quiz-lesson', { markStarted: true })).status).toBe('in-progress')
    const first = await db.lessonProgress.findUniqueOrThrow({ where })

    // Another view a moment later: no write (the heartbeat keeps lastSeenAt current, not the GET).
    await new Promise((r) => setTimeout(r, 20))
    expect((await progress.lessonProgress(userId, 'demo', 'quiz-lesson', { markStarted: true })).startedAt).toEqual(first.startedAt)
    expect((await db.lessonProgress.findUniqueOrThrow({ where })).lastSeenAt).toEqual(first.lastSeenAt)

    // After the window, a view moves lastSeenAt forward again.
    const old = new Date(Date.now() - progress.pageViewTouchMs - 1000)
    await db.lessonProgress.update({ where, data: { lastSeenAt: old } })
    await progress.lessonProgress(userId, 'demo', 'quiz-lesson', { markStarted: true })
    expect((await db.lessonProgress.findUniqueOrThrow({ where })).lastSeenAt.getTime()).toBeGreaterThan(old.getTime() + progress.pageViewTouchMs)
  })

  it('stores a submission sent many times at once exactly once', async () => {
    const db = getDatabase()
    const { lesson, progress } = await load()
    const userId = await createUser(db)
    const submission = { submissionId: randomUUID(), answers: { dns: '127.0.0.11' } }
    const results = await Promise.all(Array.from({ length: 8 }, () => progress.submitQuiz(userId, lesson, submission)))
    expect(new Set(results.map((r) => r.attemptId)).size).toBe(1)
    expect(results.filter((r) => !r.replayed).length).toBeLessThanOrEqual(1)
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(1)
  })

  it('keeps every distinct submission sent concurrently', async () => {
    const db = getDatabase()
    const { lesson, progress } = await load()
    const userId = await createUser(db)
    await Promise.all(Array.from({ length: 6 }, () => progress.submitQuiz(userId, lesson, { submissionId: randomUUID(), answers: { dns: '127.0.0.11' } })))
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(6)
    expect(await db.lessonProgress.count({ where: { userId } })).toBe(1)
  })

  it('refuses a submission id reused for another lesson and leaves stored data intact', async () => {
    const db = getDatabase()
    const lessons = await import('@/lib/content/lessons.server')
    const { lesson, progress } = await load()
    const userId = await createUser(db)
    const submissionId = randomUUID()
    await progress.submitQuiz(userId, lesson, { submissionId, answers: { dns: '127.0.0.11' } })
    const other = { ...lessons.getLesson('demo', 'quiz-lesson')!, slug: 'another-lesson' }
    await expect(progress.submitQuiz(userId, other, { submissionId, answers: { dns: '127.0.0.11' } })).rejects.toThrow(/another lesson/)
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(1)
  })

  it('rejects answers to another quiz without storing anything', async () => {
    const db = getDatabase()
    const { lesson, progress } = await load()
    const userId = await createUser(db)
    await expect(progress.submitQuiz(userId, lesson, { submissionId: randomUUID(), answers: { 'not-in-this-quiz': 'a' } })).rejects.toThrow(/unknown question/)
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(0)
  })

  it('completes a reading lesson when marked read, and adds heartbeat time with presence', async () => {
    const db = getDatabase()
    const { progress } = await load()
    const userId = await createUser(db)
    await progress.refreshLessonCompletion(userId, 'demo', 'lecture')
    expect((await progress.lessonProgress(userId, 'demo', 'lecture')).status).toBe('in-progress')
    await progress.refreshLessonCompletion(userId, 'demo', 'lecture', { markedRead: true })
    expect((await progress.lessonProgress(userId, 'demo', 'lecture')).status).toBe('completed')

    await progress.recordHeartbeat(userId, 'demo', 'labo', 30, 'reseau')
    await progress.recordHeartbeat(userId, 'demo', 'labo', 5000, 'reseau')
    const row = await db.lessonProgress.findUniqueOrThrow({ where: { userId_courseSlug_lessonSlug: { userId, courseSlug: 'demo', lessonSlug: 'labo' } } })
    expect(row.activeSeconds).toBe(90)
    expect(await db.presence.findUnique({ where: { userId } })).toMatchObject({ lessonSlug: 'labo', exerciseId: 'reseau' })
  })

  it('keeps presence.since while the learner stays on one exercise, and restarts it on a move or after a break', async () => {
    const db = getDatabase()
    const { progress } = await load()
    const userId = await createUser(db)
    const since = async () => (await db.presence.findUniqueOrThrow({ where: { userId } })).since.getTime()
    const backdate = (ms: number) => db.presence.update({ where: { userId }, data: { since: new Date(Date.now() - ms), lastSeenAt: new Date(Date.now() - ms) } })

    await progress.recordHeartbeat(userId, 'demo', 'labo', 30, 'reseau')
    await backdate(60_000)
    const started = await since()
    await progress.recordHeartbeat(userId, 'demo', 'labo', 30, 'reseau')
    expect(await since()).toBe(started)

    await progress.recordHeartbeat(userId, 'demo', 'labo', 30, null)
    expect(await since()).toBeGreaterThan(started)

    await backdate(10 * 60_000)
    const beforeBreak = await since()
    await progress.recordHeartbeat(userId, 'demo', 'labo', 30, null)
    expect(await since()).toBeGreaterThan(beforeBreak + 5 * 60_000)
  })
}
