// A label's colon as each language writes it: French puts a (non-breaking) space before it,
// English does not ("Réponse : …", "Answer: …").
export function colon(locale: string): string {
  return locale === 'fr' ? '\u00a0:' : ':'
}
