import { describe, expect, it } from 'vitest'
import { clampHeartbeat, coursePercent, hasWork, isLessonComplete, lessonStatus, percentOf } from '@/lib/progress/rules'

const base = { hasQuiz: true, quizPassingScore: 70, bestQuizPercent: null, exerciseIds: ['a', 'b'], completedExerciseIds: [], markedRead: false }

describe('lesson completion', () => {
  it('needs every exercise and a passing quiz', () => {
    expect(isLessonComplete(base)).toBe(false)
    expect(isLessonComplete({ ...base, bestQuizPercent: 70, completedExerciseIds: ['a'] })).toBe(false)
    expect(isLessonComplete({ ...base, bestQuizPercent: 69, completedExerciseIds: ['a', 'b'] })).toBe(false)
    expect(isLessonComplete({ ...base, bestQuizPercent: 70, completedExerciseIds: ['b', 'a'] })).toBe(true)
  })

  it('ignores "mark as read" on lessons that have work', () => {
    expect(isLessonComplete({ ...base, markedRead: true })).toBe(false)
  })

  it('completes a quiz-only lesson on a passing score, an exercise-only lesson on its exercises', () => {
    expect(isLessonComplete({ ...base, exerciseIds: [], bestQuizPercent: 100 })).toBe(true)
    expect(isLessonComplete({ ...base, hasQuiz: false, completedExerciseIds: ['a', 'b'] })).toBe(true)
  })

  it('completes a reading lesson only when marked read', () => {
    const reading = { ...base, hasQuiz: false, exerciseIds: [] }
    expect(isLessonComplete(reading)).toBe(false)
    expect(isLessonComplete({ ...reading, markedRead: true })).toBe(true)
  })
})

describe('statuses and percentages', () => {
  it('derives the status', () => {
    expect(lessonStatus({ started: false, completedAt: null })).toBe('not-started')
    expect(lessonStatus({ started: true, completedAt: null })).toBe('in-progress')
    expect(lessonStatus({ started: true, completedAt: new Date() })).toBe('completed')
  })

  it('computes a course percentage from completed lessons', () => {
    expect(coursePercent([])).toBe(0)
    expect(coursePercent(['completed', 'in-progress', 'not-started'])).toBe(33)
    expect(coursePercent(['completed', 'completed'])).toBe(100)
  })

  it('bounds heartbeat increments', () => {
    expect(clampHeartbeat(30.4)).toBe(30)
    expect(clampHeartbeat(3600)).toBe(60)
    expect(clampHeartbeat(-5)).toBe(0)
    expect(clampHeartbeat(Number.NaN)).toBe(0)
  })
})

describe('what a lesson asks of the learner', () => {
  it('has work with a quiz or an exercise; a reading lesson has none (it offers "mark as read")', () => {
    expect(hasWork({ hasQuiz: true, exerciseCount: 0 })).toBe(true)
    expect(hasWork({ hasQuiz: false, exerciseCount: 2 })).toBe(true)
    expect(hasWork({ hasQuiz: false, exerciseCount: 0 })).toBe(false)
  })

  it('scores a quiz attempt in whole percent, 0 for a quiz worth nothing', () => {
    expect(percentOf({ score: 2, maxScore: 3 })).toBe(67)
    expect(percentOf({ score: 0, maxScore: 0 })).toBe(0)
  })
})
