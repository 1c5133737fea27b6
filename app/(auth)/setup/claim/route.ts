import { NextResponse } from 'next/server'
import { getSessionUser } from '@/lib/auth/session.server'
import { claimSetupLink, setupClaimInput } from '@/lib/auth/setup.server'
import { ApiError, handler, readJson } from '@/lib/http/api.server'

// POST { token, account? }: the setup link makes the signed-in account, or a new one
// ({ name, email, password }), an instructor. 404/409/410 setup_token_unknown/used/expired,
// 409 email_taken, 422 account missing when signed out.
export const POST = handler(async (request: Request) => {
  const input = await readJson(request, setupClaimInput, 4 * 1024)
  const user = await getSessionUser()
  if (!user && !input.account) {
    throw new ApiError(422, 'invalid_input', 'invalid input: account', { fields: [{ field: 'account', message: 'required when signed out' }] })
  }
  // Its refusals are ApiErrors (SetupTokenError, SetupAccountError).
  const outcome = await claimSetupLink(input, user?.id ?? null)
  return NextResponse.json(outcome, { status: outcome.created ? 201 : 200 })
})
