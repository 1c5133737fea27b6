import type { OpenQuestion } from '../content/open-questions'
import type { OpenAnswerStatus } from './api'
import { OpenAnswerError } from './errors'

// The rules of open answers, pure (unit-tested without a database): when a learner may still
// change an answer, what a hand-in must hold, and what a grade must be.

export type LockReason = 'graded' | 'exam_over'

/**
 * Why the learner cannot change the answer now, or null. An exam over on the lesson locks it
 * (until the instructor removes the exam); a grade locks it unless the grader allowed a resubmission.
 */
export function lockOf(answer: { status: OpenAnswerStatus; resubmitAllowed: boolean } | null, examOver: boolean): LockReason | null {
  if (examOver) return 'exam_over'
  if (answer?.status === 'graded' && !answer.resubmitAllowed) return 'graded'
  return null
}

/** Line endings as one "\n", so that a limit counts what the learner sees. */
export const normaliseText = (text: string) => text.replace(/\r\n?/g, '\n')

/**
 * What a save may hold for this question. `hasFile`: a file is attached after the save (a new
 * one, or the one kept). A draft may be empty; a hand-in may not.
 */
export function checkContent(question: OpenQuestion, action: 'draft' | 'submit', text: string, hasFile: boolean, newFile: { size: number } | null): void {
  if (text.length > question.maxLength) {
    throw new OpenAnswerError('text_too_long', `the answer is ${text.length} characters long; at most ${question.maxLength}`, { field: 'text', maxLength: question.maxLength })
  }
  if (question.answer === 'file' && text.trim() !== '') throw new OpenAnswerError('text_not_allowed', 'this question takes a file, not text', { field: 'text' })
  if (newFile && !question.file) throw new OpenAnswerError('file_not_allowed', 'this question takes text, not a file', { field: 'file' })
  if (newFile && question.file && newFile.size > question.file.maxSizeMb * 1024 * 1024) {
    throw new OpenAnswerError('file_too_large', `the file is larger than ${question.file.maxSizeMb} MB`, { field: 'file', maxSizeMb: question.file.maxSizeMb })
  }
  if (action === 'draft') return
  const hasText = text.trim() !== ''
  const complete = question.answer === 'text' ? hasText : question.answer === 'file' ? hasFile : hasText || hasFile
  if (!complete) {
    const what = question.answer === 'text' ? 'a text' : question.answer === 'file' ? 'a file' : 'a text or a file'
    throw new OpenAnswerError('empty_answer', `hand in ${what}`, { field: question.answer === 'file' ? 'file' : 'text' })
  }
}

/**
 * Points per criterion, checked against the rubric: every criterion graded, none unknown, each
 * within its points. Returns the total and the rubric's.
 */
export function checkGrade(question: OpenQuestion, criteria: Record<string, number>): { points: number; maxPoints: number } {
  const fields: { field: string; message: string }[] = []
  for (const criterion of question.rubric) {
    const given = criteria[criterion.id]
    if (given === undefined) fields.push({ field: `criteria.${criterion.id}`, message: 'not graded' })
    else if (given > criterion.points) fields.push({ field: `criteria.${criterion.id}`, message: `at most ${criterion.points}` })
  }
  for (const id of Object.keys(criteria)) {
    if (!question.rubric.some((c) => c.id === id)) fields.push({ field: `criteria.${id}`, message: 'not a criterion of the rubric' })
  }
  if (fields.length > 0) throw new OpenAnswerError('invalid_grade', `invalid grade: ${fields.map((f) => f.field).join(', ')}`, { fields })
  return { points: question.rubric.reduce((n, c) => n + (criteria[c.id] ?? 0), 0), maxPoints: question.points }
}

/** 0 to 100 with one decimal. */
export const percentOf = (points: number, maxPoints: number) => (maxPoints > 0 ? Math.round((points / maxPoints) * 1000) / 10 : 0)
