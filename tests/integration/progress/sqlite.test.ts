import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import { createUser, fixtureContent, freshClient, progressSuite } from '../../support/progress-suite'
import { overviewSuite } from './overview-suite'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-progress-'))
const url = `file:${path.join(dir, 'quai.db')}`
let db: Db

beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = fixtureContent
  process.env.DATABASE_URL = url
  await migrateDatabase(url)
  db = await freshClient()
})

afterAll(async () => {
  await db.$disconnect()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('progress on the embedded SQLite database', () => {
  progressSuite(() => db)
  overviewSuite(() => db)

  it('survives a restart: a new client on the same file sees the same attempts', async () => {
    const { submitQuiz } = await import('@/lib/quiz/submit.server')
    const { getLesson } = await import('@/lib/content/lessons.server')
    const userId = await createUser(db)
    await submitQuiz(userId, getLesson('demo', 'quiz-lesson')!, { submissionId: crypto.randomUUID(), answers: { dns: '127.0.0.11' } })
    await db.$disconnect()
    db = await freshClient()
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(1)
  })

  it('applies migrations once: a second run changes nothing', async () => {
    expect((await migrateDatabase(url)).applied).toEqual([])
  })
})
