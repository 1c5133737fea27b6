import { z } from 'zod'
import { maxOpenTextLength } from '../content/open-questions'
import { slug } from '../content/slug'

// The open questions' wire contract, shared by the lesson page's form, the grading page and the
// route handlers: requests are parsed with these schemas on the server, answers in the browser.
// Browser-safe.

const enc = encodeURIComponent
export const openApi = {
  /** GET the learner's own answer; POST (multipart/form-data) saves a draft or hands it in. */
  answer: (courseSlug: string, lessonSlug: string, questionId: string) => `/api/lessons/${enc(courseSlug)}/${enc(lessonSlug)}/open-questions/${enc(questionId)}`,
  /** The attached file, as an attachment: its learner and the instructors of the learner's classes only. */
  file: (answerId: string) => `/api/open-answers/${enc(answerId)}/file`,
  /** GET the class's answers to one question (?question=course/lesson/id): its instructors only. */
  queue: (classId: string) => `/api/classes/${enc(classId)}/open-answers`,
  /** PUT the grade of one answer. */
  grade: (classId: string, answerId: string) => `/api/classes/${enc(classId)}/open-answers/${enc(answerId)}/grade`,
  /** The class's open-question grades as CSV. */
  csv: (classId: string) => `/api/classes/${enc(classId)}/open-answers/export`,
}

export const openAnswerStatuses = ['draft', 'submitted', 'graded'] as const
export type OpenAnswerStatus = (typeof openAnswerStatuses)[number]

/** A cuid (or any id Prisma made): letters and digits only. */
export const answerIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not an answer id')

/** The form's fields besides the file (multipart field "file"). */
export const saveAnswerFields = z.strictObject({
  /** draft: keep it for later (only before the first hand-in); submit: hand it in for grading. */
  action: z.enum(['draft', 'submit']),
  text: z.string().max(maxOpenTextLength * 2).default(''),
  /** "1": remove the file attached so far (a new file replaces it anyway). */
  removeFile: z.enum(['0', '1']).default('0'),
})
export type SaveAnswerFields = z.infer<typeof saveAnswerFields>

/** "course/lesson/question", the grading page's and queue's way to name a question. */
export const questionKey = z
  .string()
  .max(320)
  .refine((key) => {
    const parts = key.split('/')
    return parts.length === 3 && parts.every((p) => slug.safeParse(p).success)
  }, 'must be "course/lesson/question"')

export const queueQuery = z.strictObject({ question: questionKey })

/** PUT …/grade: points per criterion (each from 0 to the criterion's points, halves allowed), a comment. */
export const gradeInput = z.strictObject({
  criteria: z.record(slug, z.number().min(0).max(100).multipleOf(0.5)),
  feedback: z.string().trim().max(5000).default(''),
  /** The learner may hand in again after this grade (then graded again). */
  allowResubmit: z.boolean().default(false),
  /** The learner's hand-ins the grader saw: a grade meant for an earlier version is refused (409 answer_changed). */
  expectSubmissions: z.number().int().min(1).optional(),
})
export type GradeInput = z.input<typeof gradeInput>

const fileView = z.object({ name: z.string(), contentType: z.string(), size: z.number().int(), url: z.string() })

export const gradeViewSchema = z.object({
  criteria: z.record(z.string(), z.number()),
  points: z.number(),
  maxPoints: z.number(),
  feedback: z.string(),
  gradedBy: z.string().nullable(),
  gradedAt: z.string(),
})
export type GradeView = z.infer<typeof gradeViewSchema>

/** The learner's own answer, as the lesson page and the API give it. */
export const ownAnswerSchema = z.object({
  id: z.string(),
  status: z.enum(openAnswerStatuses),
  text: z.string(),
  file: fileView.nullable(),
  submittedAt: z.string().nullable(),
  submissions: z.number().int(),
  updatedAt: z.string(),
  /** The last grade, also after a resubmission (until the next one). */
  grade: gradeViewSchema.nullable(),
  /** Whether the learner may change it now, and if not why. */
  editable: z.boolean(),
  lockedReason: z.enum(['graded', 'exam_over']).nullable(),
})
export type OwnAnswerView = z.infer<typeof ownAnswerSchema>

/** GET and POST answer: null before any save; `locked` says whether a first save is possible. */
export const ownAnswerAnswer = z.object({ answer: ownAnswerSchema.nullable(), lockedReason: z.enum(['graded', 'exam_over']).nullable() })
export type OwnAnswerAnswer = z.infer<typeof ownAnswerAnswer>

/** One answer in an instructor's queue. */
export const queuedAnswerSchema = z.object({
  id: z.string(),
  student: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  status: z.enum(['submitted', 'graded']),
  text: z.string(),
  file: fileView.nullable(),
  submittedAt: z.string().nullable(),
  submissions: z.number().int(),
  grade: gradeViewSchema.nullable(),
  resubmitAllowed: z.boolean(),
  /** Handed in during the class's exam window (or no exam is set). */
  inExamWindow: z.boolean(),
})
export type QueuedAnswer = z.infer<typeof queuedAnswerSchema>

export const queueAnswerSchema = z.object({ answers: z.array(queuedAnswerSchema) })
export const gradeAnswerSchema = z.object({ answer: queuedAnswerSchema })
