import { randomInt } from 'node:crypto'

// Join codes are read aloud in a classroom and typed by students: ten characters from an
// alphabet without look-alikes (no 0, O, 1, I, L, nor U), shown as two groups of five. 30^10 ≈ 5.9 × 10^14 codes, drawn with a cryptographic generator: not guessable, and
// failed attempts are rate-limited on top (see joinAttemptLimiter).

export const joinCodeAlphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ'
export const joinCodeLength = 10

/** A fresh code, stored without separator: "K7PMXR3TAQ". */
export function generateJoinCode(random: (max: number) => number = randomInt): string {
  let code = ''
  for (let i = 0; i < joinCodeLength; i++) code += joinCodeAlphabet[random(joinCodeAlphabet.length)]
  return code
}

/** "K7PMX-R3TAQ": how a code is shown and put in links. */
export function formatJoinCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`
}

/**
 * What a student typed, as stored: upper case, spaces and dashes dropped. Returns null when
 * it cannot be a code, so the answer can say "this is not a code" rather than "unknown code".
 */
export function normalizeJoinCode(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s\-_.]/g, '')
  if (compact.length !== joinCodeLength) return null
  for (const ch of compact) if (!joinCodeAlphabet.includes(ch)) return null
  return compact
}

export function isJoinCodeExpired(expiresAt: Date | null, now: Date = new Date()): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime()
}
