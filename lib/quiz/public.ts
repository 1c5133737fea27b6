import type { Question, Quiz } from '../content/schema'

// What the browser may know about a quiz: the questions, never the answers.
export type PublicQuestion =
  | { id: string; type: 'single' | 'multiple'; prompt: string; choices: { id: string; text: string }[] }
  | { id: string; type: 'short'; prompt: string; placeholder?: string; maxLength: number }

export type PublicQuiz = { passingScore: number; questions: PublicQuestion[] }

function toPublicQuestion(question: Question): PublicQuestion {
  if (question.type === 'short') {
    return { id: question.id, type: 'short', prompt: question.prompt, placeholder: question.placeholder, maxLength: question.maxLength }
  }
  return { id: question.id, type: question.type, prompt: question.prompt, choices: question.choices.map(({ id, text }) => ({ id, text })) }
}

export function toPublicQuiz(quiz: Quiz): PublicQuiz {
  return { passingScore: quiz.passingScore, questions: quiz.questions.map(toPublicQuestion) }
}
