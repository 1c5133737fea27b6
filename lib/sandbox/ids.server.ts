import 'server-only'
import crypto from 'node:crypto'

/**
 * 12 characters of [a-z0-9]: the ids of sandboxes (a sandbox's also names its bridge interface:
 * qsb + id fits in 15), kept disks and steps (types.ts keptIdPattern).
 */
export function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return [...crypto.randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('')
}
