import { z } from 'zod'
import { slug } from '../content/slug'
import { assertionSchema } from '../progress/api'
import { sandboxIdSchema } from '../sandbox/types'

// Shapes of the exercise APIs (check, hint, solution, live), shared by the route handlers and
// the exercise panel, which parses what it receives. Their errors: lib/checks/errors.ts.


export const exerciseApi = {
  check: '/api/exercises/check',
  hint: '/api/exercises/hint',
  solution: '/api/exercises/solution',
  live: (sandboxId: string) => `/api/sandboxes/${encodeURIComponent(sandboxId)}/live`,
}

export const exerciseRefSchema = z.strictObject({ courseSlug: slug, lessonSlug: slug, exerciseId: slug })
export type ExerciseRef = z.infer<typeof exerciseRefSchema>
export const checkRequestSchema = exerciseRefSchema.extend({ sandboxId: sandboxIdSchema })
export type CheckRequest = z.infer<typeof checkRequestSchema>
export const hintRequestSchema = exerciseRefSchema.extend({ index: z.number().int().min(0).max(50) })
export type HintRequest = z.infer<typeof hintRequestSchema>
export const liveQuerySchema = exerciseRefSchema

export const checkRunResultSchema = z.object({
  passed: z.boolean(),
  passedCount: z.number().int(),
  totalCount: z.number().int(),
  assertions: z.array(assertionSchema),
  durationMs: z.number(),
  /** The exercise has command or script checks: something ran in the sandbox. */
  ranCommands: z.boolean(),
  checkedAt: z.string(),
})

export const recordedAttemptSchema = z.object({
  attemptId: z.string(),
  passed: z.boolean(),
  /** The exercise is complete (now, or from an earlier attempt). */
  completed: z.boolean(),
  /** This attempt completed it for the first time. */
  firstCompletion: z.boolean(),
  /** The learner's attempts on this exercise so far (live runs are not attempts). */
  attempts: z.number().int(),
})

/** POST /api/exercises/check */
export const checkResponseSchema = z.object({ result: checkRunResultSchema, attempt: recordedAttemptSchema })

/** POST /api/exercises/solution */
export const solutionViewSchema = z.object({ solution: z.string(), recorded: z.boolean() })

// ---------------------------------------------------------------- live stream (Server-Sent Events)

const snapshotContainerSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  status: z.string(),
  networks: z.array(z.string()),
  volumes: z.array(z.string()),
  ports: z.array(z.object({ container: z.number(), host: z.number().nullable(), protocol: z.string() })),
  composeProject: z.string().nullable(),
  composeService: z.string().nullable(),
})
export type SnapshotContainerView = z.infer<typeof snapshotContainerSchema>

/** The sandbox's containers, networks and volumes for the live diagram (read by lib/docker). */
export const sandboxSnapshotSchema = z.object({
  containers: z.array(snapshotContainerSchema),
  networks: z.array(z.object({ id: z.string(), name: z.string(), driver: z.string(), internal: z.boolean(), builtin: z.boolean() })),
  volumes: z.array(z.object({ name: z.string(), driver: z.string() })),
})
export type SandboxSnapshotView = z.infer<typeof sandboxSnapshotSchema>

/** GET /api/sandboxes/<id>/live: each `data:` line is one of these. */
export const liveEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), node: z.string(), snapshot: sandboxSnapshotSchema }),
  z.object({ type: z.literal('result'), exerciseId: z.string(), result: checkRunResultSchema, partial: z.boolean(), attempt: recordedAttemptSchema.nullable() }),
  z.object({ type: z.literal('status'), state: z.enum(['watching', 'checking', 'ended']), code: z.string().optional(), message: z.string().optional() }),
])
export type LiveEventView = z.infer<typeof liveEventSchema>
