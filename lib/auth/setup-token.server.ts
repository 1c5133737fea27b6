import 'server-only'
import { createHash, randomBytes } from 'node:crypto'
import { getDb } from '../db/client.server'
import { getEnv } from '../env.server'
import { ApiError } from '../errors'

// The first instructor comes from whoever installed Quai, not from whoever signs up first: a
// one-time setup link, printed on the server's console (each start while no instructor exists)
// or by `npm run setup:token`, makes its holder an instructor. Only the token's hash is stored;
// using it is one conditional update, so of two uses at once exactly one wins.

export const setupTokenLifetimeMs = 24 * 60 * 60_000

export type SetupTokenState = 'valid' | 'used' | 'expired' | 'unknown'

const refusalStatus = { unknown: 404, used: 409, expired: 410 } as const

/** 404/409/410 setup_token_unknown/used/expired. */
export class SetupTokenError extends ApiError {
  constructor(
    readonly reason: Exclude<SetupTokenState, 'valid'>,
    message: string,
  ) {
    super(refusalStatus[reason], `setup_token_${reason}`, message)
  }
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex')

export function setupUrl(token: string): string {
  return `${getEnv().appUrl}/setup?token=${token}`
}

/** A new one-time token (its hash stored), valid setupTokenLifetimeMs. */
export async function mintSetupToken(now = new Date()): Promise<{ token: string; url: string; expiresAt: Date }> {
  const db = await getDb()
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(now.getTime() + setupTokenLifetimeMs)
  await db.setupToken.create({ data: { tokenHash: hashOf(token), expiresAt } })
  // Tokens long past their day are only clutter.
  await db.setupToken.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - 7 * setupTokenLifetimeMs) } } })
  return { token, url: setupUrl(token), expiresAt }
}

export async function hasInstructor(): Promise<boolean> {
  const db = await getDb()
  return (await db.user.count({ where: { role: 'instructor' } })) > 0
}

/**
 * At server start: while the installation has no instructor, a fresh setup link on the
 * console. Every start (and every instance) adds its own; each is valid until used or expired.
 */
export async function announceSetupTokenIfNeeded(log: (line: string) => void = console.log): Promise<string | null> {
  try {
    if (await hasInstructor()) return null
    const { url } = await mintSetupToken()
    log(`No instructor yet: open ${url} to create the first instructor account (valid ${setupTokenLifetimeMs / 3_600_000} h)`)
    return url
  } catch (error) {
    console.error('could not create a setup link for the first instructor:', error)
    return null
  }
}

export async function setupTokenState(token: string, now = new Date()): Promise<SetupTokenState> {
  const db = await getDb()
  const row = await db.setupToken.findUnique({ where: { tokenHash: hashOf(token) }, select: { usedAt: true, expiresAt: true } })
  if (!row) return 'unknown'
  if (row.usedAt) return 'used'
  return row.expiresAt.getTime() <= now.getTime() ? 'expired' : 'valid'
}

const refusals: Record<SetupTokenError['reason'], string> = {
  unknown: 'this setup link is not valid',
  used: 'this setup link has already been used',
  expired: 'this setup link has expired',
}

/**
 * Uses the token once, then runs `makeInstructor` (which returns the instructor's user id).
 * The token is taken before anything else happens: a concurrent use of the same token finds
 * it taken. If `makeInstructor` fails, the token is given back, untouched by anyone else.
 * Once used, the other setup links still waiting stop working (they were printed in logs).
 */
export async function redeemSetupToken(token: string, makeInstructor: () => Promise<string>, now = new Date()): Promise<string> {
  const db = await getDb()
  const tokenHash = hashOf(token)
  const taken = await db.setupToken.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } })
  if (taken.count !== 1) {
    const state = await setupTokenState(token, now)
    const reason = state === 'valid' ? 'used' : state
    throw new SetupTokenError(reason, `${refusals[reason]}: run \`npm run setup:token\` on the server for a new one`)
  }
  let userId: string
  try {
    userId = await makeInstructor()
  } catch (error) {
    await db.setupToken.updateMany({ where: { tokenHash, usedBy: null }, data: { usedAt: null } })
    throw error
  }
  await db.setupToken.update({ where: { tokenHash }, data: { usedBy: userId } })
  await db.setupToken.updateMany({ where: { usedAt: null, expiresAt: { gt: now } }, data: { expiresAt: now } })
  return userId
}
