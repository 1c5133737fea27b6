import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { keptWorkQuerySchema } from '@/lib/workspace/api'
import { discardWork } from '@/lib/workspace/steps.server'

/** Start a lesson over from scratch: its kept work (not running) is removed. */
export const DELETE = handler(async (request: Request) => {
  const user = await requireApiUser()
  const query = keptWorkQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  return NextResponse.json(await discardWork(user, query.course, query.lesson))
})
