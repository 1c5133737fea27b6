import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { createUser } from '../../support/progress-suite'

// The learner's progress page (lib/progress/overview.server.ts) against a real database, on the
// fixture course "demo": lecture (reading), quiz-lesson (5 questions, pass mark 60 %), labo
// (exercises reseau and conteneur). Run by sqlite.test.ts and postgres.test.ts.

const check = (id: string, passed: boolean) => ({ id, check: 0, passed, key: passed ? 'ok' : 'missing', params: {} })
const run = (...assertions: ReturnType<typeof check>[]) => ({ passedCount: assertions.filter((a) => a.passed).length, totalCount: assertions.length, durationMs: 5, assertions })

export function overviewSuite(getDatabase: () => Db) {
  const load = async () => ({
    content: await import('@/lib/content/lessons.server'),
    lessons: { ...(await import('@/lib/progress/lessons.server')), ...(await import('@/lib/quiz/submit.server')) },
    exercises: await import('@/lib/progress/exercises.server'),
    overview: await import('@/lib/progress/overview.server'),
  })

  describe("the learner's progress page", () => {
    it('shows nothing to resume before any activity, every lesson not started', async () => {
      const { overview } = await load()
      const view = await overview.progressOverview(await createUser(getDatabase()))
      expect(view.resume).toBeNull()
      expect(view.courses.find((c) => c.slug === 'demo')!.lessons.map((l) => [l.lessonSlug, l.status, l.exercises, l.quiz, l.lastActivityAt])).toEqual([
        ['lecture', 'not-started', { done: 0, total: 0 }, null, null],
        ['quiz-lesson', 'not-started', { done: 0, total: 0 }, { best: null, attempts: 0, passingScore: 60 }, null],
        ['labo', 'not-started', { done: 0, total: 2 }, null, null],
      ])
    })

    it('shows per lesson the exercises done, the best quiz and its attempts, what is missing, and where to resume', async () => {
      const db = getDatabase()
      const { content, lessons, exercises, overview } = await load()
      const userId = await createUser(db)
      const quiz = content.getLesson('demo', 'quiz-lesson')!
      await lessons.markLessonStarted(userId, 'demo', 'quiz-lesson')
      await lessons.submitQuiz(userId, quiz, { submissionId: randomUUID(), answers: {} })
      await lessons.submitQuiz(userId, quiz, { submissionId: randomUUID(), answers: { dns: '127.0.0.11' } })
      await lessons.markLessonStarted(userId, 'demo', 'labo')
      // reseau passes in live mode (no click on "Vérifier"); conteneur fails once when checked.
      await exercises.recordAttempt({ userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', trigger: 'live', result: run(check('net', true)) })
      await exercises.recordAttempt({ userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'conteneur', trigger: 'manual', result: run(check('web', false)) })
      await lessons.recordHeartbeat(userId, 'demo', 'labo', 30, 'conteneur')

      const view = await overview.progressOverview(userId)
      const demo = view.courses.find((c) => c.slug === 'demo')!
      expect(demo).toMatchObject({ completed: 0, percent: 0 })
      const [lecture, quizLesson, labo] = demo.lessons
      expect(lecture).toMatchObject({ status: 'not-started', lastActivityAt: null })
      expect(quizLesson).toMatchObject({ status: 'in-progress', quiz: { best: 20, attempts: 2, passingScore: 60 }, missing: { exercises: [], quiz: { passingScore: 60, best: 20 }, markRead: false } })
      expect(labo).toMatchObject({
        status: 'in-progress',
        exercises: { done: 1, total: 2 },
        quiz: null,
        missing: { exercises: [{ id: 'conteneur', title: 'Démarrer web sur demo-net' }], quiz: null, markRead: false },
      })
      const heartbeat = (await db.lessonProgress.findUniqueOrThrow({ where: { userId_courseSlug_lessonSlug: { userId, courseSlug: 'demo', lessonSlug: 'labo' } } })).lastSeenAt
      expect(labo!.lastActivityAt!.getTime()).toBeGreaterThanOrEqual(heartbeat.getTime())
      expect(labo!.lastActivityAt!.getTime()).toBeGreaterThan(quizLesson!.lastActivityAt!.getTime())
      expect(view.resume).toMatchObject({ courseSlug: 'demo', lessonSlug: 'labo', lessonTitle: 'Un TP', courseTitle: 'Cours de démonstration', exerciseTitle: 'Démarrer web sur demo-net' })
      expect(view.resume!.at).toEqual(labo!.lastActivityAt)

      // The learner's own panel: the live pass completed reseau, with no attempt; its result is the current state.
      const states = await exercises.getExerciseStates(userId, 'demo', 'labo', content.getLesson('demo', 'labo')!.exercises)
      expect(states.reseau).toMatchObject({ attempts: 0, completed: true, lastAttempt: { trigger: 'live', passed: true } })
      expect(states.conteneur).toMatchObject({ attempts: 1, completed: false })

      // Passing the quiz and marking the reading lesson read complete them: nothing is missing any more.
      await lessons.submitQuiz(userId, quiz, { submissionId: randomUUID(), answers: { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'] } })
      await lessons.markLessonStarted(userId, 'demo', 'lecture')
      await lessons.refreshLessonCompletion(userId, 'demo', 'lecture', { markedRead: true })
      const after = (await overview.progressOverview(userId)).courses.find((c) => c.slug === 'demo')!
      expect(after).toMatchObject({ completed: 2, percent: 67 })
      expect(after.lessons.map((l) => [l.lessonSlug, l.status, l.missing])).toEqual([
        ['lecture', 'completed', null],
        ['quiz-lesson', 'completed', null],
        ['labo', 'in-progress', { exercises: [{ id: 'conteneur', title: 'Démarrer web sur demo-net' }], quiz: null, markRead: false }],
      ])
      expect(after.lessons[1]!.quiz).toEqual({ best: 60, attempts: 3, passingScore: 60 })
    })

    it('asks to mark a started reading lesson read', async () => {
      const { lessons, overview } = await load()
      const userId = await createUser(getDatabase())
      await lessons.markLessonStarted(userId, 'demo', 'lecture')
      const view = await overview.progressOverview(userId)
      expect(view.courses.find((c) => c.slug === 'demo')!.lessons[0]).toMatchObject({ status: 'in-progress', missing: { exercises: [], quiz: null, markRead: true } })
      expect(view.resume).toMatchObject({ lessonSlug: 'lecture', exerciseTitle: null })
    })
  })
}
