import { z } from 'zod'
import { slug } from '../content/slug'

// Exam mode's wire contract, shared by the class dashboard's form and the route handler
// (PUT/DELETE /api/classes/<id>/exam), and the grade sheet's answer. Browser-safe.

export const examApi = (classId: string) => `/api/classes/${encodeURIComponent(classId)}/exam`
export const gradesCsvApi = (classId: string) => `/api/classes/${encodeURIComponent(classId)}/grades/export`

/** The longest exam window: a week covers a take-home TP; anything longer is a mistake in the dates. */
export const maxExamHours = 7 * 24

/** A lesson as "course/lesson". */
export const lessonKey = z
  .string()
  .max(201)
  .refine((key) => {
    const [course, lesson, ...rest] = key.split('/')
    return rest.length === 0 && slug.safeParse(course).success && slug.safeParse(lesson).success
  }, 'must be "course/lesson"')

/**
 * PUT: the class's exam window (ISO date-times with offset; the browser converts its local
 * time) and, optionally, the only lessons it covers (null: every lesson of the class's courses).
 * The server also checks that the window ends in the future and that the lessons are the class's.
 */
export const examInput = z
  .strictObject({
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    lessons: z
      .array(lessonKey)
      .min(1, 'choose at least one lesson, or none for all')
      .max(200)
      .refine((list) => new Set(list).size === list.length, 'each lesson once')
      .nullable()
      .default(null),
  })
  .superRefine((v, ctx) => {
    const start = Date.parse(v.startsAt)
    const end = Date.parse(v.endsAt)
    if (end <= start) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'the exam must end after it starts' })
    else if (end - start > maxExamHours * 3_600_000) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: `an exam lasts at most ${maxExamHours} hours` })
  })
export type ExamInput = z.input<typeof examInput>

/** A class's exam, as the dashboard shows it; null when none is set. */
export const examViewSchema = z
  .object({
    startsAt: z.string(),
    endsAt: z.string(),
    lessons: z.array(z.string()).nullable(),
  })
  .nullable()
export type ExamView = z.infer<typeof examViewSchema>

/** The exam a learner is in on one lesson, as the lesson page gives it to the browser. */
export type ActiveExam = { classId: string; startsAt: string; endsAt: string }

/** GET, PUT and DELETE /api/classes/<id>/exam answer the class's exam as it now stands. */
export const examAnswerSchema = z.object({ exam: examViewSchema })
