import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { joinClass } from '@/lib/classes/classes.server'
import { classHandler } from '@/lib/classes/http.server'
import { joinClassInput } from '@/lib/classes/schemas'
import { readJson } from '@/lib/http/api.server'

/** Join a class with its code: { code }. Joining twice answers 200 with status "already-member". */
export const POST = classHandler(async (request: Request) => {
  const user = await requireApiUser()
  const { code } = await readJson(request, joinClassInput, 1024)
  const outcome = await joinClass(user, code)
  return NextResponse.json(outcome, { status: outcome.status === 'joined' ? 201 : 200 })
})
