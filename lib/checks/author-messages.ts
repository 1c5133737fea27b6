import type { Assertion } from './assertions'
import type { AuthorMessages } from '../content/check-kinds'

// An author may replace the catalogue's message of an assertion that does not pass with
// their own, in French and English (`messages:` on a check, lib/content/check-kinds.ts). The
// key is the end of the assertion's id: "running" for "container:web:running".

export const idMatches = (id: string, key: string) => {
  const bare = id.replace(/#\d+$/, '')
  return bare === key || bare.endsWith(`:${key}`)
}

/** The check's assertions, a failing or waiting one worded by the author when they wrote a message for it. */
export function withAuthorMessages(messages: AuthorMessages | undefined, items: Assertion[]): Assertion[] {
  if (!messages) return items
  const keys = Object.keys(messages)
  return items.map((a) => {
    if (a.passed) return a
    const key = keys.find((k) => idMatches(a.id, k))
    return key ? { ...a, key: 'author', params: { fr: messages[key]!.fr, en: messages[key]!.en } } : a
  })
}
