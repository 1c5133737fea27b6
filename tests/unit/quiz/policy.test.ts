import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadContentTree } from '@/lib/content/load.server'
import { quizSchema } from '@/lib/content/schema'
import { gradeQuiz } from '@/lib/quiz/grade.server'
import { attemptsLeft, effectiveQuizPolicy, quizOwnPolicy, stricter, visibleExplanations, withExplanations, type QuizPolicy } from '@/lib/quiz/policy'

const tree = loadContentTree(path.join(import.meta.dirname, '..', '..', 'fixtures', 'content'))
const quiz = tree.courses[0]!.lessons[1]!.quiz!
const question = { id: 'q', type: 'single', prompt: 'Quoi ?', choices: [{ id: 'a', text: 'A' }, { id: 'b', text: 'B' }], answer: 'a', explanation: 'Parce que.' }
const allRight = { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'], flag: '--internal', case: 'Overlay' }
const explanations = (policy: QuizPolicy, answers: Record<string, string | string[]>, passedBefore = false) => {
  const grade = gradeQuiz(quiz, answers)
  return withExplanations(quiz.questions, grade.results, visibleExplanations(policy, grade.results, grade.passed || passedBefore))
    .filter((r) => r.explanation !== undefined)
    .map((r) => r.questionId)
}

describe('a quiz policy in quiz.yaml', () => {
  it('defaults to 3 attempts and explanations after a pass', () => {
    const parsed = quizSchema.parse({ questions: [question] })
    expect(quizOwnPolicy(parsed)).toEqual({ maxAttempts: 3, explanations: 'after-pass' })
  })

  it('takes a number of attempts, "unlimited", and the three explanation modes', () => {
    expect(quizOwnPolicy(quizSchema.parse({ attempts: 1, explanations: 'never', questions: [question] }))).toEqual({ maxAttempts: 1, explanations: 'never' })
    expect(quizOwnPolicy(quizSchema.parse({ attempts: 'unlimited', explanations: 'after-attempt', questions: [question] }))).toEqual({ maxAttempts: null, explanations: 'after-attempt' })
  })

  it.each([
    [{ attempts: 0 }, 'attempts'],
    [{ attempts: 101 }, 'attempts'],
    [{ attempts: 2.5 }, 'attempts'],
    [{ attempts: 'many' }, 'attempts'],
    [{ explanations: 'always' }, 'explanations'],
    [{ explanations: 'after_pass' }, 'explanations'],
  ])('refuses %j', (policy, field) => {
    const result = quizSchema.safeParse({ ...policy, questions: [question] })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => i.path[0])).toContain(field)
  })
})

describe('the policy a learner gets', () => {
  const own = { attempts: 5, explanations: 'after-attempt' } as const

  it('is the quiz\'s own outside any class following the course', () => {
    expect(effectiveQuizPolicy(own, [])).toEqual({ maxAttempts: 5, explanations: 'after-attempt' })
  })

  it('is the class\'s setting where it has one, the quiz\'s where it has none', () => {
    expect(effectiveQuizPolicy(own, [{ quizMaxAttempts: 2, quizExplanations: null }])).toEqual({ maxAttempts: 2, explanations: 'after-attempt' })
    expect(effectiveQuizPolicy(own, [{ quizMaxAttempts: null, quizExplanations: 'never' }])).toEqual({ maxAttempts: 5, explanations: 'never' })
    // A class may also be more generous than the author.
    expect(effectiveQuizPolicy(own, [{ quizMaxAttempts: 10, quizExplanations: null }])).toEqual({ maxAttempts: 10, explanations: 'after-attempt' })
  })

  it('is the strictest of its classes, setting by setting', () => {
    const classes = [
      { quizMaxAttempts: 10, quizExplanations: 'never' },
      { quizMaxAttempts: 2, quizExplanations: 'after-attempt' },
      { quizMaxAttempts: null, quizExplanations: 'after-pass' },
    ]
    expect(effectiveQuizPolicy(own, classes)).toEqual({ maxAttempts: 2, explanations: 'never' })
    expect(effectiveQuizPolicy({ attempts: 'unlimited', explanations: 'after-attempt' }, [{ quizMaxAttempts: null, quizExplanations: null }, { quizMaxAttempts: 4, quizExplanations: 'after-pass' }])).toEqual({
      maxAttempts: 4,
      explanations: 'after-pass',
    })
  })

  it('ignores a stored explanation mode it does not know (the quiz\'s applies)', () => {
    expect(effectiveQuizPolicy(own, [{ quizMaxAttempts: null, quizExplanations: 'sometimes' }]).explanations).toBe('after-attempt')
  })

  it('orders explanations never > after-pass > after-attempt and takes the smaller limit, unlimited being the largest', () => {
    expect(stricter({ maxAttempts: null, explanations: 'after-pass' }, { maxAttempts: 3, explanations: 'after-attempt' })).toEqual({ maxAttempts: 3, explanations: 'after-pass' })
    expect(stricter({ maxAttempts: null, explanations: 'after-attempt' }, { maxAttempts: null, explanations: 'never' })).toEqual({ maxAttempts: null, explanations: 'never' })
  })

  it('counts the attempts left', () => {
    expect(attemptsLeft({ maxAttempts: 3, explanations: 'never' }, 1)).toBe(2)
    expect(attemptsLeft({ maxAttempts: 3, explanations: 'never' }, 5)).toBe(0)
    expect(attemptsLeft({ maxAttempts: null, explanations: 'never' }, 50)).toBeNull()
  })
})

describe('the explanations an attempt shows', () => {
  const afterPass = { maxAttempts: 3, explanations: 'after-pass' } as const
  const afterAttempt = { maxAttempts: 3, explanations: 'after-attempt' } as const
  const never = { maxAttempts: 3, explanations: 'never' } as const

  it('shows none for an empty submission, whatever the policy', () => {
    for (const policy of [afterPass, afterAttempt, never]) {
      expect(explanations(policy, {})).toEqual([])
      expect(explanations(policy, {}, true)).toEqual([])
      expect(explanations(policy, { dns: '  ', drivers: [] })).toEqual([])
    }
  })

  it('after-pass: before passing, only those of questions answered right; once passed, every question answered', () => {
    // 1 right of 5: a fail.
    expect(explanations(afterPass, { dns: '127.0.0.11', 'default-net': 'a', drivers: ['c'] })).toEqual(['dns'])
    // Passed in this attempt (3 of 5 at 60 %): every answered question, wrong ones included, never the unanswered.
    expect(explanations(afterPass, { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'], flag: 'nope' })).toEqual(['dns', 'default-net', 'drivers', 'flag'])
    // Passed in an earlier attempt: this failing one shows its answered questions too.
    expect(explanations(afterPass, { dns: 'x', 'default-net': 'a' }, true)).toEqual(['dns', 'default-net'])
  })

  it('after-attempt: every question answered, right or wrong; never the unanswered', () => {
    expect(explanations(afterAttempt, { dns: 'x', 'default-net': 'a' })).toEqual(['dns', 'default-net'])
    expect(explanations(afterAttempt, allRight)).toEqual(['dns', 'default-net', 'drivers', 'flag', 'case'])
  })

  it('never: none, even after a perfect attempt', () => {
    expect(explanations(never, allRight, true)).toEqual([])
  })

  it('carries the explanation text only where shown', () => {
    const grade = gradeQuiz(quiz, { dns: '127.0.0.11', 'default-net': 'a' })
    const results = withExplanations(quiz.questions, grade.results, visibleExplanations(afterPass, grade.results, false))
    expect(results[0]).toMatchObject({ questionId: 'dns', explanation: 'Le résolveur embarqué répond sur 127.0.0.11 dans chaque conteneur.' })
    expect(JSON.stringify(results.slice(1))).not.toContain('explanation')
  })
})
