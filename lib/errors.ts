import { z } from 'zod'

// Quai's one application error and the shape of its JSON answer. Browser-safe: the domain
// errors (checks, classes, files, quizzes) extend ApiError, and the UI parses the answer
// with apiErrorSchema. lib/http/api.server.ts turns any thrown error into the answer.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** Stable, for programs and the UI's translations; the message is for people. */
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** `{ error: { code, message, ...details } }`, the body of every refusal. */
export const apiErrorSchema = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    retryAfterSeconds: z.number().optional(),
    /** A command for instructors (Docker missing, image not built...). */
    fix: z.string().optional(),
    /** 422 invalid_input: which fields, and what is wrong with each. */
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
})
export type ApiErrorBody = z.infer<typeof apiErrorSchema>
