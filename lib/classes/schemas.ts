import { z } from 'zod'
import { maxQuizAttempts, quizExplanationModes, slug } from '../content/schema'

// One schema per input, shared by the forms (client) and the route handlers (server).

export const className = z.string().trim().min(2, 'at least 2 characters').max(120, 'at most 120 characters')

/** A course list: known slugs are checked on the server against the content. */
export const classCourses = z
  .array(slug)
  .min(1, 'choose at least one course')
  .max(50)
  .refine((list) => new Set(list).size === list.length, 'each course once')

/** Expiry of a join code: an ISO date-time with its offset (the browser converts its local time), or null for "never". */
export const joinCodeExpiry = z.iso.datetime({ offset: true }).nullable()

export const createClassInput = z.strictObject({
  name: className,
  courses: classCourses,
  joinCodeExpiresAt: joinCodeExpiry.optional(),
})
export type CreateClassInput = z.infer<typeof createClassInput>

/** The class's quiz policy over each quiz's own: attempts allowed and when explanations show; null gives the quiz's back. */
export const classQuizMaxAttempts = z.number().int().min(1, 'at least 1').max(maxQuizAttempts, `at most ${maxQuizAttempts}`).nullable()
export const classQuizExplanations = z.enum(quizExplanationModes).nullable()

export const updateClassInput = z
  .strictObject({
    name: className.optional(),
    courses: classCourses.optional(),
    archived: z.boolean().optional(),
    quizMaxAttempts: classQuizMaxAttempts.optional(),
    quizExplanations: classQuizExplanations.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'nothing to change')
export type UpdateClassInput = z.infer<typeof updateClassInput>

export const regenerateCodeInput = z.strictObject({
  joinCodeExpiresAt: joinCodeExpiry.default(null),
})

export const joinClassInput = z.strictObject({ code: z.string().trim().min(1, 'enter the code').max(40) })

export const addInstructorInput = z.strictObject({ email: z.email().max(200) })

/** Route parameters: ids are cuids (classes) and better-auth ids (users), never long. */
export const idParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid id')

/** A class session: a hands-on lesson of one of the class's courses, at an ISO date-time with offset (the browser converts its local time). */
export const scheduleSessionInput = z.strictObject({
  courseSlug: slug,
  lessonSlug: slug,
  startsAt: z.iso.datetime({ offset: true }),
})
export type ScheduleSessionInput = z.infer<typeof scheduleSessionInput>

// ---------------------------------------------------------------- answers, parsed by the forms

/** POST /api/classes */
export const createdClassSchema = z.object({ id: z.string() })

/** POST /api/classes/join: joining twice is a no-op, not an error. */
export const joinOutcomeSchema = z.object({ status: z.enum(['joined', 'already-member']), classroom: z.object({ id: z.string(), name: z.string() }) })
export type JoinOutcome = z.infer<typeof joinOutcomeSchema>

const liveEntrySchema = z.object({
  userId: z.string(),
  name: z.string(),
  courseSlug: z.string(),
  lessonSlug: z.string(),
  lessonTitle: z.string(),
  exerciseId: z.string().nullable(),
  exerciseTitle: z.string().nullable(),
  since: z.string(),
  lastSeenAt: z.string(),
  /** Visible time on this lesson so far (LessonProgress.activeSeconds). */
  lessonSeconds: z.number(),
})
export type LiveEntry = z.infer<typeof liveEntrySchema>

/** GET /api/classes/<id>/presence: who is working now. */
export const presenceSchema = z.object({ live: z.array(liveEntrySchema), at: z.string() })

const solutionRunAssertionSchema = z.object({ id: z.string(), check: z.number(), label: z.string().nullable(), passed: z.boolean(), pending: z.boolean(), message: z.string() })
export type SolutionRunAssertion = z.infer<typeof solutionRunAssertionSchema>

/** POST /api/teach/run-solution: the checks before and after an exercise's solution, in a fresh sandbox. */
export const solutionRunSchema = z.object({
  sandboxId: z.string(),
  /** The checks on the fresh sandbox: they should fail. */
  before: z.object({ passed: z.boolean(), assertions: z.array(solutionRunAssertionSchema) }),
  solution: z.object({ exitCode: z.number(), output: z.string(), timedOut: z.boolean() }),
  after: z.object({ passed: z.boolean(), assertions: z.array(solutionRunAssertionSchema) }),
  /** Fails before, passes after: the exercise is solvable and not passed by doing nothing. */
  ok: z.boolean(),
  durationMs: z.number(),
})
export type SolutionRun = z.infer<typeof solutionRunSchema>

/** POST /api/teach/content/reload: the content version every web instance now follows, and what it holds. */
export const contentReloadSchema = z.object({
  version: z.number(),
  reloadedAt: z.string(),
  lessons: z.number(),
  /** Lessons that students see as unavailable ("Leçon momentanément indisponible"). */
  broken: z.number(),
})
export type ContentReload = z.infer<typeof contentReloadSchema>
