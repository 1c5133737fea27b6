import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { createUser, fixtureContent } from '../../support/progress-suite'

// A learner against the answer key: attempts counted from the stored rows, even when submitted
// all at once; the class's policy over the quiz's, the strictest of several classes; and an
// empty submission that reveals nothing.
let db: Db

beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = fixtureContent
  db = await (await import('@/lib/db/client.server')).getDb()
})

const load = async () => {
  const { getLesson } = await import('@/lib/content/lessons.server')
  const progress = await import('@/lib/quiz/submit.server')
  const attempts = await import('@/lib/quiz/attempts.server')
  const lesson = getLesson('demo', 'quiz-lesson')!
  const submit = (userId: string, answers: Record<string, string | string[]>, submissionId: string = randomUUID()) => {
    const submission = { submissionId, answers }
    return attempts.submitWithinPolicy(userId, { ...lesson, quiz: lesson.quiz! }, submission, () => progress.submitQuiz(userId, lesson, submission))
  }
  return { ...attempts, lesson, submit }
}

async function classFollowing(courseSlug: string, settings: { quizMaxAttempts?: number | null; quizExplanations?: string | null; archivedAt?: Date | null }, members: string[]) {
  const prof = await createUser(db, 'instructor')
  const classroom = await db.classroom.create({
    data: {
      name: `Classe ${randomUUID().slice(0, 4)}`,
      joinCode: randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase(),
      ...settings,
      courses: { create: { courseSlug } },
      instructors: { create: { userId: prof } },
      members: { create: members.map((userId) => ({ userId })) },
    },
  })
  return classroom.id
}

const allRight = { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'], flag: '--internal', case: 'Overlay' }

describe('quiz attempts and explanations under the policy', () => {
  it('holds the attempt limit against concurrent submissions: 10 at once store exactly 3', async () => {
    const { submit, QuizClosedError } = await load()
    const userId = await createUser(db)
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => submit(userId, { dns: 'nope' })))
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3)
    const reasons = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []))
    expect(reasons.every((r) => r instanceof QuizClosedError)).toBe(true)
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(3)
  })

  it('answers a retried submission again past the limit, without counting it', async () => {
    const { submit, QuizClosedError } = await load()
    const userId = await createUser(db)
    const ids = [randomUUID(), randomUUID(), randomUUID()]
    for (const id of ids) await submit(userId, { dns: 'nope' }, id)
    const again = await submit(userId, { dns: 'nope' }, ids[2])
    expect(again).toMatchObject({ replayed: true, attemptsUsed: 3, attemptsLeft: 0 })
    await expect(submit(userId, allRight)).rejects.toBeInstanceOf(QuizClosedError)
    expect(await db.quizAttempt.count({ where: { userId } })).toBe(3)
  })

  it('reveals nothing for an empty submission, and only right answers\' explanations before a pass', async () => {
    const { submit } = await load()
    const userId = await createUser(db)
    const empty = await submit(userId, {})
    expect(JSON.stringify(empty)).not.toContain('"explanation"')
    expect(empty).toMatchObject({ score: 0, passed: false, attemptsUsed: 1, attemptsLeft: 2, policy: { maxAttempts: 3, explanations: 'after-pass' } })

    const oneRight = await submit(userId, { dns: '127.0.0.11', 'default-net': 'a', drivers: ['c'] })
    expect(oneRight.results.filter((r) => r.explanation).map((r) => r.questionId)).toEqual(['dns'])
    expect(JSON.stringify(oneRight)).not.toContain('Sans option, Docker branche')

    const pass = await submit(userId, { ...allRight, case: 'overlay' })
    expect(pass.passed).toBe(true)
    expect(pass.results.filter((r) => r.explanation).map((r) => r.questionId)).toEqual(['dns', 'default-net', 'drivers', 'flag', 'case'])
  })

  it('takes each class\'s setting over the quiz\'s, the strictest of the learner\'s classes, ignoring archived classes and other courses', async () => {
    const { quizPolicyFor, lesson } = await load()
    const learner = await createUser(db)
    const quiz = lesson.quiz!
    expect(await quizPolicyFor(learner, 'demo', quiz)).toEqual({ maxAttempts: 3, explanations: 'after-pass' })
    await classFollowing('demo', { quizMaxAttempts: 5, quizExplanations: 'after-attempt' }, [learner])
    expect(await quizPolicyFor(learner, 'demo', quiz)).toEqual({ maxAttempts: 5, explanations: 'after-attempt' })
    await classFollowing('demo', { quizMaxAttempts: 2, quizExplanations: null }, [learner])
    expect(await quizPolicyFor(learner, 'demo', quiz)).toEqual({ maxAttempts: 2, explanations: 'after-pass' })
    await classFollowing('demo', { quizMaxAttempts: 1, quizExplanations: 'never', archivedAt: new Date() }, [learner])
    await classFollowing('another-course', { quizMaxAttempts: 1, quizExplanations: 'never' }, [learner])
    expect(await quizPolicyFor(learner, 'demo', quiz)).toEqual({ maxAttempts: 2, explanations: 'after-pass' })
    // Someone else's class changes nothing for this learner.
    await classFollowing('demo', { quizMaxAttempts: 1, quizExplanations: 'never' }, [await createUser(db)])
    expect(await quizPolicyFor(learner, 'demo', quiz)).toEqual({ maxAttempts: 2, explanations: 'after-pass' })
  })

  it('applies a class\'s "never" and its attempts to submissions', async () => {
    const { submit, QuizClosedError } = await load()
    const learner = await createUser(db)
    await classFollowing('demo', { quizMaxAttempts: 1, quizExplanations: 'never' }, [learner])
    const perfect = await submit(learner, allRight)
    expect(perfect).toMatchObject({ passed: true, attemptsLeft: 0, policy: { maxAttempts: 1, explanations: 'never' } })
    expect(JSON.stringify(perfect)).not.toContain('"explanation"')
    await expect(submit(learner, allRight)).rejects.toBeInstanceOf(QuizClosedError)
  })
})
