import { z } from 'zod'

// Shapes of the lesson progress API, shared by its route and the lesson page's reporters.

export const progressApi = (courseSlug: string, lessonSlug: string) => `/api/lessons/${encodeURIComponent(courseSlug)}/${encodeURIComponent(lessonSlug)}/progress`

/** POST: visible time on the lesson (and the exercise in focus), or "mark as read". */
export const progressActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('heartbeat'), seconds: z.number().min(0).max(600), exerciseId: z.string().max(64).nullable().default(null) }),
  z.strictObject({ action: z.literal('mark-read') }),
])
export type ProgressAction = z.input<typeof progressActionSchema>

// ---------------------------------------------------------------- exercise progress (the exercise panel's state)

/** One assertion of a check run, as sent and as stored in ExerciseAttempt.assertions. */
export const assertionSchema = z.object({
  id: z.string(),
  check: z.number().int(),
  passed: z.boolean(),
  key: z.string(),
  params: z.record(z.string(), z.unknown()),
  pending: z.boolean().optional(),
})
export type AssertionView = z.infer<typeof assertionSchema>

/** POST /api/exercises/hint: every hint revealed so far. */
export const hintsViewSchema = z.object({
  /** Texts of the hints revealed so far, in order. */
  hints: z.array(z.string()),
  total: z.number().int(),
  /** This request revealed a new hint (false when it was already revealed). */
  recorded: z.boolean(),
})
export type HintsView = z.infer<typeof hintsViewSchema>

const lastAttemptSchema = z.object({
  passed: z.boolean(),
  passedCount: z.number().int(),
  totalCount: z.number().int(),
  durationMs: z.number(),
  trigger: z.enum(['manual', 'live']),
  createdAt: z.string(),
  assertions: z.array(assertionSchema),
})
export type LastAttemptView = z.infer<typeof lastAttemptSchema>

/** What the exercise panel starts from: serialisable, and holding only what the learner may see. */
export const exerciseStateSchema = z.object({
  attempts: z.number().int(),
  completed: z.boolean(),
  completedAt: z.string().nullable(),
  hints: z.array(z.string()),
  hintCount: z.number().int(),
  solutionRevealed: z.boolean(),
  /** Present only once the learner asked for it. */
  solution: z.string().nullable(),
  lastAttempt: lastAttemptSchema.nullable(),
})
export type ExerciseStateView = z.infer<typeof exerciseStateSchema>
