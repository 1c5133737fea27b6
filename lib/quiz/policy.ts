import { quizExplanationModes, type Question, type Quiz, type QuizExplanationMode } from '../content/schema'

// How many graded attempts a learner has, and which explanations they may read: the quiz's own
// policy (quiz.yaml), which each class following the course may replace with its own; a
// learner in several such classes gets the strictest of them. Pure: the server reads the
// classes (policy.server.ts) and applies this.

export type QuizPolicy = { maxAttempts: number | null; explanations: QuizExplanationMode }
export type ClassQuizSettings = { quizMaxAttempts: number | null; quizExplanations: string | null }

export const isExplanationMode = (value: unknown): value is QuizExplanationMode => (quizExplanationModes as readonly unknown[]).includes(value)

export function quizOwnPolicy(quiz: Pick<Quiz, 'attempts' | 'explanations'>): QuizPolicy {
  return { maxAttempts: quiz.attempts === 'unlimited' ? null : quiz.attempts, explanations: quiz.explanations }
}

const strictness: Record<QuizExplanationMode, number> = { 'after-attempt': 0, 'after-pass': 1, never: 2 }

/** The stricter of two policies, setting by setting (null attempts: unlimited). */
export function stricter(a: QuizPolicy, b: QuizPolicy): QuizPolicy {
  const maxAttempts = a.maxAttempts === null ? b.maxAttempts : b.maxAttempts === null ? a.maxAttempts : Math.min(a.maxAttempts, b.maxAttempts)
  return { maxAttempts, explanations: strictness[a.explanations] >= strictness[b.explanations] ? a.explanations : b.explanations }
}

/** The policy of a learner: the quiz's, or each class's over it, the strictest when several classes follow the course. */
export function effectiveQuizPolicy(quiz: Pick<Quiz, 'attempts' | 'explanations'>, classes: readonly ClassQuizSettings[]): QuizPolicy {
  const own = quizOwnPolicy(quiz)
  const perClass = classes.map((c) => ({
    maxAttempts: c.quizMaxAttempts ?? own.maxAttempts,
    explanations: isExplanationMode(c.quizExplanations) ? c.quizExplanations : own.explanations,
  }))
  return perClass.length === 0 ? own : perClass.reduce(stricter)
}

/** Attempts still allowed (null: unlimited). */
export function attemptsLeft(policy: QuizPolicy, used: number): number | null {
  return policy.maxAttempts === null ? null : Math.max(0, policy.maxAttempts - used)
}

type Graded = { questionId: string; answered: boolean; correct: boolean }

/**
 * The questions whose explanation this attempt may show. Never one the learner did not answer
 * (an empty submission reveals nothing); under after-pass, before a pass, only those answered
 * right (the explanation then teaches without giving away an answer not yet found).
 */
export function visibleExplanations(policy: QuizPolicy, results: readonly Graded[], hasPassed: boolean): Set<string> {
  if (policy.explanations === 'never') return new Set()
  const shown = results.filter((r) => r.answered && (policy.explanations === 'after-attempt' || hasPassed || r.correct))
  return new Set(shown.map((r) => r.questionId))
}

export type ResultWithExplanation<R extends Graded> = R & { explanation?: string }

/** The results with the explanation texts the policy allows, and no other. */
export function withExplanations<R extends Graded>(questions: readonly Question[], results: readonly R[], visible: ReadonlySet<string>): ResultWithExplanation<R>[] {
  return results.map((result) => {
    const question = questions.find((q) => q.id === result.questionId)
    return visible.has(result.questionId) && question ? { ...result, explanation: question.explanation } : { ...result }
  })
}
