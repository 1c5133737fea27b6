import { z } from 'zod'
import { checkSchema } from './check-kinds'
import { nodeNameSchema, slug } from './slug'

// One schema for everything an author writes: course index, lesson frontmatter, quiz and
// exercises. Objects are strict so that a misspelt field is reported, not ignored.

export { slug }
/** A starter folder of content/shared/, named alone: a path (with "/" or "..") could leave that folder. */
export const sharedFolderName = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be the name of a folder of content/shared/ (lower-case words joined by "-"), not a path')

/** content/courses/<course>/course.yaml */
export const courseIndexSchema = z.strictObject({
  title: z.string().min(3).max(120),
  summary: z.string().min(10).max(600),
  /** Position in the catalogue. */
  order: z.number().int().min(0),
  level: z.enum(['débutant', 'intermédiaire', 'avancé']).optional(),
  tags: z.array(z.string().min(1)).default([]),
  /** Lesson folder names, in the order they are taught. */
  lessons: z.array(slug).min(1),
  /**
   * The lessons share one sandbox, kept from one class to the next (a project built over
   * several lessons: docs/persistence.md). Its hands-on lessons must then ask for the same nodes.
   */
  sharedSandbox: z.boolean().default(false),
})
export type CourseIndex = z.infer<typeof courseIndexSchema>

/** An image a lesson needs that only a registry has (Traefik, Grafana...). */
export const registryOnlyImage = z.strictObject({
  image: z.string().min(1),
  reason: z.string().min(10),
})

export const sandboxSpecSchema = z.strictObject({
  /** The nodes of the lab; one daemon each, on a private network of their own. */
  nodes: z
    .array(z.strictObject({ name: nodeNameSchema, role: z.enum(['manager', 'worker', 'standalone']).default('standalone') }))
    .min(1)
    .max(5)
    .default([{ name: 'node1', role: 'standalone' }])
    .refine((nodes) => new Set(nodes.map((n) => n.name)).size === nodes.length, 'node names must be unique'),
  /** Images the lesson uses; each must be in the offline catalogue unless listed in registryOnly. */
  images: z.array(z.string().min(1)).default([]),
  registryOnly: z.array(registryOnlyImage).default([]),
})
export type SandboxSpec = z.infer<typeof sandboxSpecSchema>

/** Frontmatter of content/courses/<course>/<lesson>/lesson.mdx */
export const lessonFrontmatterSchema = z.strictObject({
  title: z.string().min(3).max(120),
  summary: z.string().min(10).max(400),
  /** Estimated minutes. */
  duration: z.number().int().min(1).max(600),
  objectives: z.array(z.string().min(3)).min(1),
  /** Lessons to take first: "lesson" in the same course or "course/lesson". */
  prerequisites: z.array(z.string().regex(/^([a-z0-9-]+\/)?[a-z0-9-]+$/, 'must be "lesson" or "course/lesson"')).default([]),
  tags: z.array(z.string().min(1)).default([]),
  /** Present on hands-on lessons: the page then shows the terminal, files and exercises. */
  sandbox: sandboxSpecSchema.optional(),
  /**
   * Starter folders of content/shared/ seeded into the lesson's folder, in order, before its own
   * workspace/ (whose files take the place of theirs): one copy of an app several lessons start from.
   */
  sharedWorkspace: z
    .array(sharedFolderName)
    .default([])
    .refine((names) => new Set(names).size === names.length, 'a shared folder is named twice'),
})
export type LessonFrontmatter = z.infer<typeof lessonFrontmatterSchema>

const choice = z.strictObject({ id: z.string().regex(/^[a-z0-9]+$/), text: z.string().min(1) })

const questionBase = {
  id: z.string().regex(/^[a-z0-9-]+$/),
  prompt: z.string().min(3),
  explanation: z.string().min(3),
}

export const singleChoiceQuestion = z
  .strictObject({ ...questionBase, type: z.literal('single'), choices: z.array(choice).min(2), answer: z.string() })
  .superRefine((q, ctx) => {
    if (!q.choices.some((c) => c.id === q.answer)) {
      ctx.addIssue({ code: 'custom', path: ['answer'], message: `"${q.answer}" is not one of the choice ids` })
    }
  })

export const multipleChoiceQuestion = z
  .strictObject({ ...questionBase, type: z.literal('multiple'), choices: z.array(choice).min(2), answer: z.array(z.string()).min(1) })
  .superRefine((q, ctx) => {
    for (const id of q.answer) {
      if (!q.choices.some((c) => c.id === id)) {
        ctx.addIssue({ code: 'custom', path: ['answer'], message: `"${id}" is not one of the choice ids` })
      }
    }
  })

export const shortAnswerQuestion = z
  .strictObject({
    ...questionBase,
    type: z.literal('short'),
    /** Accepted answers: exact strings (trimmed, case-insensitive unless caseSensitive) or patterns. */
    accept: z.array(z.union([z.strictObject({ exact: z.string().min(1) }), z.strictObject({ pattern: z.string().min(1) })])).min(1),
    caseSensitive: z.boolean().default(false),
    placeholder: z.string().optional(),
    maxLength: z.number().int().min(1).max(500).default(200),
  })
  .superRefine((q, ctx) => {
    q.accept.forEach((a, i) => {
      if ('pattern' in a) {
        try {
          new RegExp(a.pattern)
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: ['accept', i, 'pattern'], message: `invalid regular expression: ${(error as Error).message}` })
        }
      }
    })
  })

export const questionSchema = z.discriminatedUnion('type', [singleChoiceQuestion, multipleChoiceQuestion, shortAnswerQuestion])
export type Question = z.infer<typeof questionSchema>

/** When a learner reads the explanations (lib/quiz/policy.ts; a class may set its own). */
export const quizExplanationModes = ['after-attempt', 'after-pass', 'never'] as const
export type QuizExplanationMode = (typeof quizExplanationModes)[number]
export const maxQuizAttempts = 100

/** content/courses/<course>/<lesson>/quiz.yaml */
export const quizSchema = z
  .strictObject({
    /** Percentage needed for the quiz to count towards completing the lesson. */
    passingScore: z.number().int().min(0).max(100).default(70),
    /** Graded submissions allowed per learner (a class may set its own); "unlimited" for none. */
    attempts: z.union([z.number().int().min(1).max(maxQuizAttempts), z.literal('unlimited')]).default(3),
    /**
     * after-attempt: after each attempt, the explanations of the questions answered.
     * after-pass (default): after each attempt, those of the questions answered right; once the
     * learner has passed, those of every question answered. never: none, ever.
     */
    explanations: z.enum(quizExplanationModes).default('after-pass'),
    questions: z.array(questionSchema).min(1),
  })
  .superRefine((quiz, ctx) => {
    const seen = new Set<string>()
    quiz.questions.forEach((q, i) => {
      if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id "${q.id}"` })
      seen.add(q.id)
    })
  })
export type Quiz = z.infer<typeof quizSchema>

export const exerciseSchema = z.strictObject({
  id: slug,
  title: z.string().min(3).max(160),
  /** Markdown shown to the learner. */
  instructions: z.string().min(10),
  /** The node the exercise's commands and checks target; defaults to the lesson's first node. */
  node: nodeNameSchema.optional(),
  hints: z.array(z.string().min(3)).default([]),
  /** A bash script that solves the exercise from the state the previous exercises leave. */
  solution: z.string().min(1),
  /** Run before the exercise's solvability test, e.g. to recreate what earlier exercises built. */
  setup: z.string().optional(),
  /** Check budget; a run that takes longer stops with a clear message. */
  timeoutSeconds: z.number().int().min(1).max(120).default(20),
  /** Set when the exercise needs images that cannot be built offline. */
  registryOnly: z.array(registryOnlyImage).optional(),
  checks: z.array(checkSchema).min(1),
})
export type Exercise = z.infer<typeof exerciseSchema>

/** content/courses/<course>/<lesson>/exercises.yaml */
export const exercisesFileSchema = z
  .strictObject({ exercises: z.array(exerciseSchema).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.exercises.forEach((e, i) => {
      if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: ['exercises', i, 'id'], message: `duplicate exercise id "${e.id}"` })
      seen.add(e.id)
    })
  })
