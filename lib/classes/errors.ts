import { ApiError } from '../errors'

// Every refusal of the class logic, with a stable code the UI translates and an English
// message for API clients. Route handlers answer it as any ApiError, pages with 404/403.

export type ClassErrorCode =
  | 'class_not_found'
  | 'not_class_instructor'
  | 'class_archived'
  | 'invalid_code'
  | 'unknown_code'
  | 'expired_code'
  | 'invalid_expiry'
  | 'teaches_class'
  | 'unknown_course'
  | 'student_not_in_class'
  | 'instructor_not_found'
  | 'last_instructor'
  | 'too_many_attempts'
  | 'lesson_not_found'
  | 'session_in_past'
  | 'session_not_found'

const statusOf: Record<ClassErrorCode, number> = {
  class_not_found: 404,
  not_class_instructor: 403,
  class_archived: 409,
  invalid_code: 422,
  unknown_code: 404,
  expired_code: 410,
  invalid_expiry: 422,
  teaches_class: 409,
  unknown_course: 422,
  student_not_in_class: 404,
  instructor_not_found: 404,
  last_instructor: 409,
  too_many_attempts: 429,
  lesson_not_found: 404,
  session_in_past: 422,
  session_not_found: 404,
}

export class ClassError extends ApiError {
  declare readonly code: ClassErrorCode
  declare readonly details: Record<string, unknown>
  constructor(code: ClassErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(statusOf[code], code, message, details)
  }
}
