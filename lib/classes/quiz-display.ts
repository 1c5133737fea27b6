import type { Question } from '../content/schema'

// How quiz answers and answer keys read for an instructor: choice ids become their text.
// Used by the student view and the authoring preview, which only instructors reach.

export function describeAnswer(question: Question | undefined, answer: unknown): string {
  if (answer === undefined || answer === null || answer === '' || (Array.isArray(answer) && answer.length === 0)) return ''
  if (!question || question.type === 'short') return Array.isArray(answer) ? answer.map(String).join(', ') : String(answer)
  const ids = Array.isArray(answer) ? answer.map(String) : [String(answer)]
  return ids.map((id) => question.choices.find((c) => c.id === id)?.text ?? id).join(' ; ')
}

/** The expected answer: choice texts, or the accepted strings and patterns of a short answer. */
export function describeKey(question: Question): string {
  switch (question.type) {
    case 'single':
      return describeAnswer(question, question.answer)
    case 'multiple':
      return describeAnswer(question, question.answer)
    case 'short':
      return question.accept.map((a) => ('exact' in a ? `« ${a.exact} »` : `/${a.pattern}/`)).join(' | ')
  }
}
