import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { startProgressFor } from '@/lib/workspace/start-progress.server'

/** While the learner's sandbox is being opened: their place in the start queue, or that it is starting. */
export const GET = handler(async () => {
  const user = await requireApiUser()
  return NextResponse.json(await startProgressFor(user.id))
})
