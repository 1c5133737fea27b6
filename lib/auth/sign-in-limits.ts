import { createHash } from 'node:crypto'
import { isIPv6 } from 'node:net'
import type { AttemptLimit } from './attempt-limits.server'

// Sign-in and sign-up limits, keyed so that a class behind one school address is not one
// suspect: failed sign-ins lock the pair (account, address) that failed, never the account
// everywhere nor the address for everyone, and a success clears its pair. A per-address ceiling,
// far above what a class does, stops one address from trying many accounts.

export const authLimits = {
  /** Wrong passwords for one account from one address. */
  pair: { max: 10, windowMs: 10 * 60_000 },
  /** Wrong passwords from one address, whatever the accounts (password spraying). */
  address: { max: 200, windowMs: 10 * 60_000 },
  /** Accounts created from one address. */
  signUp: { max: 100, windowMs: 10 * 60_000 },
} satisfies Record<string, AttemptLimit>

export type AuthLimitCode = 'too_many_failed_sign_ins' | 'too_many_sign_ins_from_address' | 'too_many_sign_ups'

/**
 * The address as one client: IPv4 as is, IPv6 by its /64 (one household or machine holds a
 * whole /64, so counting its addresses one by one would count nothing).
 */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address.toLowerCase()
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : []
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((g) => g.padStart(4, '0'))
    .join(':')}::/64`
}

/** Emails are keys by their hash: the counters never hold anyone's address book. */
const emailKey = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)

export const limitKeys = {
  pair: (email: string, address: string) => `sign-in:pair:${emailKey(email)}:${addressKey(address)}`,
  address: (address: string) => `sign-in:address:${addressKey(address)}`,
  signUp: (address: string) => `sign-up:address:${addressKey(address)}`,
}
