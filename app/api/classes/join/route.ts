import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { joinClass } from '@/lib/classes/classes.server'
import { ClassError } from '@/lib/classes/errors'
import { joinClassInput } from '@/lib/classes/schemas'
import { apiErrorResponse, handler, readJson } from '@/lib/http/api.server'

/**
 * Join a class with its code: { code }. Joining twice answers 200 with status "already-member".
 * Too many wrong codes: 429 too_many_attempts with the true wait (Retry-After, retryAfterSeconds).
 */
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const { code } = await readJson(request, joinClassInput, 1024)
  try {
    const outcome = await joinClass(user, code)
    return NextResponse.json(outcome, { status: outcome.status === 'joined' ? 201 : 200 })
  } catch (error) {
    if (error instanceof ClassError && error.code === 'too_many_attempts') {
      const response = apiErrorResponse(error)
      response.headers.set('retry-after', String(error.details.retryAfterSeconds))
      return response
    }
    throw error
  }
})
