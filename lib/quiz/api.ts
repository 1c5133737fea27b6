import { z } from 'zod'

// Shapes of the quiz API (POST /api/lessons/<course>/<lesson>/quiz), shared by the route and
// the quiz form, which parses the answer. Answer keys never leave the server (grade.server.ts).

export const quizApi = {
  submit: (courseSlug: string, lessonSlug: string) => `/api/lessons/${encodeURIComponent(courseSlug)}/${encodeURIComponent(lessonSlug)}/quiz`,
}

export const maxSubmissionBytes = 16 * 1024

export const quizSubmissionSchema = z.strictObject({
  /** Chosen by the browser for each submission: a retried request is stored once. */
  submissionId: z.string().uuid(),
  answers: z.record(
    z.string().regex(/^[a-z0-9-]{1,64}$/),
    z.union([z.string().max(500), z.array(z.string().max(64)).max(26)]),
  ),
})
export type QuizSubmission = z.infer<typeof quizSubmissionSchema>

const attemptSummarySchema = z.object({ percent: z.number() })

/** The learner's attempts so far, as the quiz shows them. */
export const quizStandingSchema = z.object({ attempts: z.number().int(), best: attemptSummarySchema.nullable(), last: attemptSummarySchema.nullable() })
export type QuizStandingView = z.infer<typeof quizStandingSchema>

/** 201 stored, 200 the same submissionId again. An explanation only where the quiz's policy lets the server send it. */
export const quizAnswerSchema = z.object({
  attemptId: z.string(),
  replayed: z.boolean(),
  score: z.number(),
  maxScore: z.number(),
  percent: z.number(),
  passed: z.boolean(),
  results: z.array(z.object({ questionId: z.string(), correct: z.boolean(), answered: z.boolean(), explanation: z.string().optional() })),
  attemptsUsed: z.number().int(),
  attemptsLeft: z.number().int().nullable(),
  standing: quizStandingSchema,
  lessonStatus: z.string(),
})
export type QuizAnswerView = z.infer<typeof quizAnswerSchema>
