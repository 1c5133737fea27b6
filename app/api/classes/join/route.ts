import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { joinClass } from '@/lib/classes/classes.server'
import { ClassError } from '@/lib/classes/errors'
import { classHandler } from '@/lib/classes/http.server'
import { joinClassInput } from '@/lib/classes/schemas'
import { readJson } from '@/lib/http/api.server'

/**
 * Join a class with its code: { code }. Joining twice answers 200 with status "already-member".
 * Too many wrong codes: 429 too_many_attempts with the true wait (Retry-After, retryAfterSeconds).
 */
export const POST = classHandler(async (request: Request) => {
  const user = await requireApiUser()
  const { code } = await readJson(request, joinClassInput, 1024)
  try {
    const outcome = await joinClass(user, code)
    return NextResponse.json(outcome, { status: outcome.status === 'joined' ? 201 : 200 })
  } catch (error) {
    if (error instanceof ClassError && error.code === 'too_many_attempts') {
      return NextResponse.json(
        { error: { code: error.code, message: error.message, ...error.details } },
        { status: error.status, headers: { 'retry-after': String(error.details.retryAfterSeconds) } },
      )
    }
    throw error
  }
})
