import 'server-only'
import type { Question, Quiz } from '../content/schema'
import { ApiError } from '../errors'
import type { QuizSubmission } from './api'
import { safeRegex } from '../text/safe-regex'

// Answer keys stay in this module's callers on the server; only results leave.

export type { QuizSubmission }
export type Answer = QuizSubmission['answers'][string]

// No explanation here: which ones a learner may read is the policy's call (policy.ts).
export type QuestionResult = { questionId: string; correct: boolean; answered: boolean }
export type QuizGrade = { score: number; maxScore: number; percent: number; passed: boolean; results: QuestionResult[] }

/** 422 invalid_answer, naming the field as readJson's 422 does. */
export class QuizSubmissionError extends ApiError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(422, 'invalid_answer', message, { fields: [{ field, message }] })
  }
}

const normalise = (text: string, caseSensitive: boolean) => {
  const collapsed = text.trim().replace(/\s+/g, ' ')
  return caseSensitive ? collapsed : collapsed.toLowerCase()
}

function isCorrect(question: Question, answer: Answer): boolean {
  switch (question.type) {
    case 'single':
      return answer === question.answer
    case 'multiple': {
      const given = new Set(answer as string[])
      return given.size === question.answer.length && question.answer.every((id) => given.has(id))
    }
    case 'short': {
      const given = normalise(answer as string, question.caseSensitive)
      return question.accept.some((rule) =>
        'exact' in rule
          ? normalise(rule.exact, question.caseSensitive) === given
          : safeRegex(rule.pattern, question.caseSensitive ? '' : 'i').test(answer.toString().trim()),
      )
    }
  }
}

/** Rejects answers that do not fit this quiz: unknown questions, wrong types, unknown choices. */
export function validateAnswers(quiz: Quiz, answers: QuizSubmission['answers']): void {
  for (const [questionId, answer] of Object.entries(answers)) {
    const question = quiz.questions.find((q) => q.id === questionId)
    if (!question) throw new QuizSubmissionError(`answers.${questionId}`, `unknown question "${questionId}" for this quiz`)
    const field = `answers.${questionId}`
    if (question.type === 'single' && typeof answer !== 'string') throw new QuizSubmissionError(field, 'expected one choice id')
    if (question.type === 'multiple' && !Array.isArray(answer)) throw new QuizSubmissionError(field, 'expected a list of choice ids')
    if (question.type === 'short') {
      if (typeof answer !== 'string') throw new QuizSubmissionError(field, 'expected a text answer')
      if (answer.length > question.maxLength) throw new QuizSubmissionError(field, `longer than ${question.maxLength} characters`)
    }
    if (question.type !== 'short') {
      const ids = Array.isArray(answer) ? answer : [answer]
      if (new Set(ids).size !== ids.length) throw new QuizSubmissionError(field, 'a choice is given twice')
      for (const id of ids) {
        if (!question.choices.some((c) => c.id === id)) throw new QuizSubmissionError(field, `"${id}" is not a choice of this question`)
      }
    }
  }
}

export function gradeQuiz(quiz: Quiz, answers: QuizSubmission['answers']): QuizGrade {
  validateAnswers(quiz, answers)
  const results = quiz.questions.map((question) => {
    const answer = answers[question.id]
    const answered = answer !== undefined && (Array.isArray(answer) ? answer.length > 0 : answer.trim() !== '')
    return { questionId: question.id, answered, correct: answered && isCorrect(question, answer!) }
  })
  const score = results.filter((r) => r.correct).length
  const maxScore = quiz.questions.length
  const percent = Math.round((score / maxScore) * 100)
  return { score, maxScore, percent, passed: percent >= quiz.passingScore, results }
}
