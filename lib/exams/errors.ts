import { ApiError } from '../errors'

// Exam mode's refusals, with a stable code the UI translates. Browser-safe.

export type ExamErrorCode = 'exam_in_progress' | 'exam_already_over' | 'exam_lesson_not_in_class'

const statusOf: Record<ExamErrorCode, number> = {
  exam_in_progress: 403,
  exam_already_over: 422,
  exam_lesson_not_in_class: 422,
}

export class ExamError extends ApiError {
  declare readonly code: ExamErrorCode
  constructor(code: ExamErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(statusOf[code], code, message, details)
  }
}
