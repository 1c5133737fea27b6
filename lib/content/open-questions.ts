import { z } from 'zod'
import { slug } from './slug'

// Open questions: answers a person reads (an explanation, a diagram), graded by the class's
// instructors against the author's rubric. Declared in <lesson>/open-questions.yaml and placed
// in the text with <OpenQuestion id="…" />. Browser-safe: the lesson page and the grading page
// both read these shapes (lib/open-questions/ holds the rules and the storage).

/** The kinds of file a learner may attach, each recognised by its first bytes on the server (lib/open-questions/sniff.ts). */
export const openFileKinds = ['image', 'pdf', 'text'] as const
export type OpenFileKind = (typeof openFileKinds)[number]

/** Stored in the database (OpenAnswerFile): a few MB per answer at most. */
export const maxOpenFileMb = 10
export const defaultOpenFileMb = 5
export const maxOpenTextLength = 20_000

const criterionSchema = z.strictObject({
  /** Stable: grades are stored per criterion id. */
  id: slug,
  /** What the criterion is about, in a few words (the grader's column, the learner's line). */
  label: z.string().min(3).max(120),
  points: z.number().int().min(1).max(100),
  /** What earns the points: inline Markdown. */
  description: z.string().min(3).max(1000),
})
export type RubricCriterion = z.infer<typeof criterionSchema>

export const openQuestionSchema = z
  .strictObject({
    id: slug,
    title: z.string().min(3).max(160),
    /** Inline Markdown, as quiz prompts: `code`, **bold**, *italic*, links; never HTML. */
    prompt: z.string().min(10).max(4000),
    /** What the learner hands in: text, one file, or both (either may be left empty, not both). */
    answer: z.enum(['text', 'file', 'both']).default('text'),
    /** Characters of the text answer. */
    maxLength: z.number().int().min(50).max(maxOpenTextLength).default(5000),
    file: z
      .strictObject({
        types: z.array(z.enum(openFileKinds)).min(1).default([...openFileKinds]),
        maxSizeMb: z.number().min(0.1).max(maxOpenFileMb).default(defaultOpenFileMb),
      })
      .optional(),
    /** The total; optional, and when written it must be the rubric's sum. */
    points: z.number().int().min(1).max(1000).optional(),
    rubric: z.array(criterionSchema).min(1).max(20),
    /** A rubric is usually public: learners see it under the question. false: only instructors. */
    rubricVisible: z.boolean().default(true),
  })
  .superRefine((q, ctx) => {
    const seen = new Set<string>()
    q.rubric.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['rubric', i, 'id'], message: `duplicate criterion id "${c.id}"` })
      seen.add(c.id)
    })
    const sum = q.rubric.reduce((n, c) => n + c.points, 0)
    if (q.points !== undefined && q.points !== sum) {
      ctx.addIssue({ code: 'custom', path: ['points'], message: `${q.points} is not the rubric's total (${sum}): remove it or make them agree` })
    }
    if (q.answer === 'text' && q.file) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'a file block needs answer: file or answer: both' })
    }
  })
  .transform((q) => ({
    ...q,
    points: q.rubric.reduce((n, c) => n + c.points, 0),
    file: q.answer === 'text' ? null : (q.file ?? { types: [...openFileKinds], maxSizeMb: defaultOpenFileMb }),
  }))
export type OpenQuestion = z.output<typeof openQuestionSchema>

/** content/courses/<course>/<lesson>/open-questions.yaml */
export const openQuestionsFileSchema = z
  .strictObject({ questions: z.array(openQuestionSchema).min(1).max(20) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.questions.forEach((q, i) => {
      if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id "${q.id}"` })
      seen.add(q.id)
    })
  })

/**
 * The question as the lesson page sends it. A rubric the author kept for instructors loses its
 * descriptions (what earns the points); its labels and points stay, for the learner's grade.
 */
export type PublicOpenQuestion = OpenQuestion

export function toPublicOpenQuestion(question: OpenQuestion): PublicOpenQuestion {
  return question.rubricVisible ? question : { ...question, rubric: question.rubric.map((c) => ({ ...c, description: '' })) }
}
