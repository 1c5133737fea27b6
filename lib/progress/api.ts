import { z } from 'zod'

// Shapes of the lesson progress API, shared by its route and the lesson page's reporters.

export const progressApi = (courseSlug: string, lessonSlug: string) => `/api/lessons/${encodeURIComponent(courseSlug)}/${encodeURIComponent(lessonSlug)}/progress`

/** POST: visible time on the lesson (and the exercise in focus), or "mark as read". */
export const progressActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('heartbeat'), seconds: z.number().min(0).max(600), exerciseId: z.string().max(64).nullable().default(null) }),
  z.strictObject({ action: z.literal('mark-read') }),
])
export type ProgressAction = z.input<typeof progressActionSchema>
