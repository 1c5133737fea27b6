import { z } from 'zod'

// Shapes of the exercise APIs (check, hint, solution, live), shared by the route handlers and
// the exercise panel, which parses what it receives. Their errors: lib/checks/errors.ts.

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug').max(100)
const sandboxId = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'must be a sandbox id')

export const exerciseRefSchema = z.strictObject({ courseSlug: slug, lessonSlug: slug, exerciseId: slug })
export const checkRequestSchema = exerciseRefSchema.extend({ sandboxId })
export const hintRequestSchema = exerciseRefSchema.extend({ index: z.number().int().min(0).max(50) })
export const liveQuerySchema = exerciseRefSchema
export const sandboxIdSchema = sandboxId
