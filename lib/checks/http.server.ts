import 'server-only'
import { z } from 'zod'
import { ApiError } from '../http/api.server'
import { HintError } from '../progress/exercises.server'
import { CheckError, type CheckErrorCode } from './errors'

// The request bodies of the exercise routes and how the checks' errors read over HTTP.

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug').max(100)
const sandboxId = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'must be a sandbox id')

export const exerciseRefSchema = z.strictObject({ courseSlug: slug, lessonSlug: slug, exerciseId: slug })
export const checkRequestSchema = exerciseRefSchema.extend({ sandboxId })
export const hintRequestSchema = exerciseRefSchema.extend({ index: z.number().int().min(0).max(50) })
export const liveQuerySchema = exerciseRefSchema
export const sandboxIdSchema = sandboxId

const statusOf: Record<CheckErrorCode, number> = {
  unknown_exercise: 404,
  sandbox_forbidden: 403,
  sandbox_not_running: 409,
  sandbox_node_died: 409,
  sandbox_process_limit: 409,
  sandbox_disk_full: 409,
  daemon_unavailable: 503,
  check_timeout: 504,
}

/** CheckError and HintError as clear JSON answers; anything else is left to the generic handler. */
export function checkApiError(error: unknown): unknown {
  if (error instanceof CheckError) return new ApiError(statusOf[error.code], error.code, error.message, error.details)
  if (error instanceof HintError) return new ApiError(error.code === 'no_such_hint' ? 404 : 409, error.code, error.message, error.details)
  return error
}

/** Run `fn`, translating the checks' errors for `handler` (lib/http/api.server.ts). */
export async function asApi<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw checkApiError(error)
  }
}
