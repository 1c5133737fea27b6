import { NextResponse } from 'next/server'
import { getSessionUser } from '@/lib/auth/session.server'
import { claimSetupLink, SetupAccountError, setupClaimInput } from '@/lib/auth/setup.server'
import { SetupTokenError } from '@/lib/auth/setup-token.server'
import { ApiError, handler, readJson } from '@/lib/http/api.server'

const statusOf = { unknown: 404, used: 409, expired: 410 } as const

// POST { token, account? }: the setup link makes the signed-in account, or a new one
// ({ name, email, password }), an instructor. 404/409/410 setup_token_unknown/used/expired,
// 409 email_taken, 422 account missing when signed out.
export const POST = handler(async (request: Request) => {
  const input = await readJson(request, setupClaimInput, 4 * 1024)
  const user = await getSessionUser()
  if (!user && !input.account) {
    throw new ApiError(422, 'invalid_input', 'invalid input: account', { fields: [{ field: 'account', message: 'required when signed out' }] })
  }
  try {
    const outcome = await claimSetupLink(input, user?.id ?? null)
    return NextResponse.json(outcome, { status: outcome.created ? 201 : 200 })
  } catch (error) {
    if (error instanceof SetupTokenError) throw new ApiError(statusOf[error.reason], `setup_token_${error.reason}`, error.message)
    if (error instanceof SetupAccountError) throw new ApiError(409, error.code, error.message)
    throw error
  }
})
