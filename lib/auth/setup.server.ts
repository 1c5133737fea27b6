import 'server-only'
import { z } from 'zod'
import { getDb } from '../db/client.server'
import { ApiError } from '../errors'
import { getAuth } from './auth.server'
import { redeemSetupToken } from './setup-token.server'

// What a setup link does: create the instructor account, or promote the account its holder is
// signed in with. Works even where sign-up is closed (QUAI_ALLOW_SIGNUP=false): the link is the
// installer's permission.

export const setupClaimInput = z.strictObject({
  token: z.string().min(16).max(200),
  /** The new account, when the holder is signed out. */
  account: z
    .strictObject({
      name: z.string().trim().min(1).max(80),
      email: z.email().max(200),
      password: z.string().min(8, 'at least 8 characters').max(128),
    })
    .optional(),
})
export type SetupClaimInput = z.infer<typeof setupClaimInput>

export class SetupAccountError extends ApiError {
  declare readonly code: 'email_taken'
  constructor(code: 'email_taken', message: string) {
    super(409, code, message)
  }
}

/** Creates an instructor account with a password, as sign-up would but with the instructor role. */
async function createInstructorAccount(account: NonNullable<SetupClaimInput['account']>): Promise<string> {
  const context = await (await getAuth()).$context
  const email = account.email.toLowerCase()
  const taken = () => new SetupAccountError('email_taken', 'an account already uses this email: sign in with it, then open the setup link again to make it the instructor')
  if (await context.internalAdapter.findUserByEmail(email)) throw taken()
  const hash = await context.password.hash(account.password)
  let user: { id: string }
  try {
    user = await context.internalAdapter.createUser({ email, name: account.name, emailVerified: false, role: 'instructor' }, { method: 'email-password' })
  } catch (error) {
    // A sign-up with the same email that landed in between.
    if (await context.internalAdapter.findUserByEmail(email)) throw taken()
    throw error
  }
  try {
    await context.internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: hash })
  } catch (error) {
    await (await getDb()).user.delete({ where: { id: user.id } }).catch(() => undefined)
    throw error
  }
  return user.id
}

/** Makes the signed-in user (userId) or a new account the instructor, using the token once. */
export async function claimSetupLink(input: SetupClaimInput, signedInUserId: string | null): Promise<{ userId: string; created: boolean }> {
  if (signedInUserId) {
    const db = await getDb()
    const userId = await redeemSetupToken(input.token, async () => {
      await db.user.update({ where: { id: signedInUserId }, data: { role: 'instructor' } })
      return signedInUserId
    })
    return { userId, created: false }
  }
  const account = input.account
  if (!account) throw new Error('claimSetupLink: an account is required when nobody is signed in')
  return { userId: await redeemSetupToken(input.token, () => createInstructorAccount(account)), created: true }
}
