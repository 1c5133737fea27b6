import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadContentTree } from '@/lib/content/load.server'
import { quizSubmissionSchema } from '@/lib/quiz/api'
import { gradeQuiz, QuizSubmissionError, validateAnswers } from '@/lib/quiz/grade.server'
import { toPublicQuiz } from '@/lib/quiz/public'

const tree = loadContentTree(path.join(import.meta.dirname, '..', '..', 'fixtures', 'content'))
const quiz = tree.courses[0]!.lessons[1]!.quiz!
const allRight = { dns: ' 127.0.0.11 ', 'default-net': 'b', drivers: ['b', 'a'], flag: '--INTERNAL', case: 'Overlay' }

describe('quiz grading', () => {
  it('gives full marks to right answers of every type, normalising spaces and case where allowed', () => {
    const grade = gradeQuiz(quiz, allRight)
    expect(grade).toMatchObject({ score: 5, maxScore: 5, percent: 100, passed: true })
    expect(grade.results.every((r) => r.correct && r.answered)).toBe(true)
    // Grading carries no explanation: which ones a learner reads is the policy's decision (policy.ts).
    expect(JSON.stringify(grade)).not.toContain('explanation')
  })

  it('marks wrong, partial and missing answers as incorrect', () => {
    const grade = gradeQuiz(quiz, { dns: '127.0.0.1', 'default-net': 'a', drivers: ['a'], case: 'overlay' })
    expect(grade.results.map((r) => [r.questionId, r.correct, r.answered])).toEqual([
      ['dns', false, true],
      ['default-net', false, true],
      ['drivers', false, true],
      ['flag', false, false],
      ['case', false, true],
    ])
    expect(grade).toMatchObject({ score: 0, percent: 0, passed: false })
  })

  it('counts a multiple-choice answer right only with exactly the right set', () => {
    expect(gradeQuiz(quiz, { drivers: ['a', 'b', 'c'] }).results[2]!.correct).toBe(false)
    expect(gradeQuiz(quiz, { drivers: ['a', 'b'] }).results[2]!.correct).toBe(true)
  })

  it('passes at the passing score', () => {
    // 3 of 5 = 60 %, the fixture's passing score.
    expect(gradeQuiz(quiz, { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'] })).toMatchObject({ percent: 60, passed: true })
    expect(gradeQuiz(quiz, { dns: '127.0.0.11', 'default-net': 'b' })).toMatchObject({ percent: 40, passed: false })
  })

  it.each<[Record<string, string | string[]>, string, string]>([
    [{ unknown: 'a' }, 'answers.unknown', 'unknown question'],
    [{ 'default-net': ['b'] }, 'answers.default-net', 'expected one choice id'],
    [{ drivers: 'a' }, 'answers.drivers', 'expected a list'],
    [{ drivers: ['a', 'z'] }, 'answers.drivers', '"z" is not a choice'],
    [{ drivers: ['a', 'a'] }, 'answers.drivers', 'given twice'],
    [{ dns: ['127.0.0.11'] }, 'answers.dns', 'expected a text answer'],
    [{ dns: 'x'.repeat(201) }, 'answers.dns', 'longer than 200'],
  ])('rejects tampered answers %j', (answers, field, message) => {
    expect(() => validateAnswers(quiz, answers)).toThrowError(QuizSubmissionError)
    try {
      validateAnswers(quiz, answers)
    } catch (error) {
      expect((error as QuizSubmissionError).field).toBe(field)
      expect((error as Error).message).toContain(message)
    }
  })
})

describe('quiz submissions', () => {
  const valid = { submissionId: '6f1c8c7e-8f7d-4a53-9a1e-3f0f4f4b8e21', answers: { dns: 'x' } }

  it('accepts a well-formed submission', () => {
    expect(quizSubmissionSchema.safeParse(valid).success).toBe(true)
  })

  it.each<[unknown, string]>([
    [{ ...valid, extra: true }, 'extra field'],
    [{ ...valid, submissionId: 'not-a-uuid' }, 'bad id'],
    [{ submissionId: valid.submissionId }, 'no answers'],
    [{ ...valid, answers: { dns: 42 } }, 'wrong type'],
    [{ ...valid, answers: { 'Bad Id!': 'x' } }, 'bad question id'],
    [{ ...valid, answers: { dns: 'x'.repeat(501) } }, 'oversized answer'],
    [{ ...valid, answers: { drivers: Array.from({ length: 27 }, () => 'a') } }, 'too many choices'],
  ])('rejects %j (%s)', (body) => {
    expect(quizSubmissionSchema.safeParse(body).success).toBe(false)
  })
})

describe('public quiz', () => {
  it('never carries answers, accepted patterns or explanations', () => {
    const json = JSON.stringify(toPublicQuiz(quiz))
    for (const secret of ['answer', 'accept', 'explanation', '127.0.0.11', '--internal', 'caseSensitive']) {
      expect(json).not.toContain(secret)
    }
    expect(json).toContain('Quelle adresse le DNS intégré')
  })
})
