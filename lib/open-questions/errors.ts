import { ApiError } from '../errors'

// Open questions' refusals, with a stable code the UI translates. Browser-safe.

export type OpenAnswerErrorCode =
  | 'open_question_not_found'
  | 'answer_not_found'
  | 'answer_locked'
  | 'exam_over'
  | 'already_submitted'
  | 'empty_answer'
  | 'text_too_long'
  | 'text_not_allowed'
  | 'file_not_allowed'
  | 'file_too_large'
  | 'file_type_refused'
  | 'not_submitted'
  | 'answer_changed'
  | 'invalid_grade'

const statusOf: Record<OpenAnswerErrorCode, number> = {
  open_question_not_found: 404,
  answer_not_found: 404,
  answer_locked: 409,
  exam_over: 409,
  already_submitted: 409,
  empty_answer: 422,
  text_too_long: 422,
  text_not_allowed: 422,
  file_not_allowed: 422,
  file_too_large: 413,
  file_type_refused: 415,
  not_submitted: 409,
  answer_changed: 409,
  invalid_grade: 422,
}

export class OpenAnswerError extends ApiError {
  declare readonly code: OpenAnswerErrorCode
  constructor(code: OpenAnswerErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(statusOf[code], code, message, details)
  }
}
