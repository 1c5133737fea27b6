import { describe, expect, it } from 'vitest'
import { countsAsAttempt } from '@/lib/progress/exercise-rules'
import { buildOverview, type CourseShape } from '@/lib/progress/overview'
import { isLessonComplete, missingWork } from '@/lib/progress/rules'

const base = { hasQuiz: true, quizPassingScore: 70, bestQuizPercent: null, exerciseIds: ['a', 'b'], completedExerciseIds: [], markedRead: false }

describe('what a lesson still misses', () => {
  it('lists the exercises not passed, in order, and a quiz below its pass mark', () => {
    expect(missingWork(base)).toEqual({ exerciseIds: ['a', 'b'], quiz: { passingScore: 70, best: null }, markRead: false })
    expect(missingWork({ ...base, completedExerciseIds: ['b'], bestQuizPercent: 40 })).toEqual({ exerciseIds: ['a'], quiz: { passingScore: 70, best: 40 }, markRead: false })
    expect(missingWork({ ...base, completedExerciseIds: ['b', 'a'], bestQuizPercent: 70 })).toEqual({ exerciseIds: [], quiz: null, markRead: false })
  })

  it('asks a reading lesson to be marked read, never a lesson with work', () => {
    expect(missingWork({ ...base, hasQuiz: false, exerciseIds: [] }).markRead).toBe(true)
    expect(missingWork({ ...base, hasQuiz: false, exerciseIds: [], markedRead: true }).markRead).toBe(false)
    expect(missingWork({ ...base, markedRead: true }).markRead).toBe(false)
  })

  it('is the completion rule: complete exactly when nothing is missing', () => {
    for (const facts of [base, { ...base, completedExerciseIds: ['a', 'b'], bestQuizPercent: 90 }, { ...base, hasQuiz: false, exerciseIds: [], markedRead: true }, { ...base, exerciseIds: [], bestQuizPercent: 69 }]) {
      const m = missingWork(facts)
      expect(isLessonComplete(facts)).toBe(m.exerciseIds.length === 0 && m.quiz === null && !m.markRead)
    }
  })
})

describe('live runs', () => {
  it('are not attempts; a click on "Vérifier" is', () => {
    expect(countsAsAttempt('live')).toBe(false)
    expect(countsAsAttempt('manual')).toBe(true)
  })
})

describe('the progress overview', () => {
  const course: CourseShape = {
    slug: 'c',
    title: 'Cours',
    lessons: [
      { slug: 'read', title: 'Lire', hasQuiz: false, quizPassingScore: 0, exercises: [] },
      { slug: 'lab', title: 'TP', hasQuiz: true, quizPassingScore: 60, exercises: [{ id: 'x', title: 'X' }, { id: 'y', title: 'Y' }] },
    ],
  }
  const t = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute))

  it('counts exercises done and the best quiz, and resumes at the latest activity with the exercise the learner was on', () => {
    const view = buildOverview([course], {
      lessons: [
        { courseSlug: 'c', lessonSlug: 'read', completedAt: t(5), lastSeenAt: t(5) },
        { courseSlug: 'c', lessonSlug: 'lab', completedAt: null, lastSeenAt: t(10) },
      ],
      quizzes: [
        { courseSlug: 'c', lessonSlug: 'lab', score: 1, maxScore: 4, createdAt: t(11) },
        { courseSlug: 'c', lessonSlug: 'lab', score: 2, maxScore: 4, createdAt: t(12) },
      ],
      exercises: [
        { courseSlug: 'c', lessonSlug: 'lab', exerciseId: 'y', completedAt: t(20), updatedAt: t(20) },
        // An exercise removed from the content counts nothing.
        { courseSlug: 'c', lessonSlug: 'lab', exerciseId: 'gone', completedAt: t(21), updatedAt: t(21) },
        { courseSlug: 'other', lessonSlug: 'lab', exerciseId: 'x', completedAt: t(30), updatedAt: t(30) },
      ],
      presence: { courseSlug: 'c', lessonSlug: 'lab', exerciseId: 'x' },
    })
    const [read, lab] = view.courses[0]!.lessons
    expect(view.courses[0]).toMatchObject({ completed: 1, percent: 50 })
    expect(read).toMatchObject({ status: 'completed', missing: null, lastActivityAt: t(5) })
    expect(lab).toMatchObject({
      status: 'in-progress',
      exercises: { done: 1, total: 2 },
      quiz: { best: 50, attempts: 2, passingScore: 60 },
      missing: { exercises: [{ id: 'x', title: 'X' }], quiz: { passingScore: 60, best: 50 }, markRead: false },
      lastActivityAt: t(21),
    })
    expect(view.resume).toEqual({ courseSlug: 'c', lessonSlug: 'lab', courseTitle: 'Cours', lessonTitle: 'TP', exerciseTitle: 'X', at: t(21) })
  })

  it('a completed lesson misses nothing, even once its content grew', () => {
    const view = buildOverview([course], {
      lessons: [{ courseSlug: 'c', lessonSlug: 'lab', completedAt: t(1), lastSeenAt: t(1) }],
      quizzes: [],
      exercises: [],
      presence: { courseSlug: 'c', lessonSlug: 'read', exerciseId: null },
    })
    expect(view.courses[0]!.lessons[1]).toMatchObject({ status: 'completed', missing: null, quiz: { best: null, attempts: 0 } })
    expect(view.resume).toMatchObject({ lessonSlug: 'lab', exerciseTitle: null })
  })

  it('has nothing to resume without activity', () => {
    expect(buildOverview([course], { lessons: [], quizzes: [], exercises: [], presence: null }).resume).toBeNull()
  })
})
