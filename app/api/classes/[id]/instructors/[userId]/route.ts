import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { removeInstructor } from '@/lib/classes/classes.server'
import { handler } from '@/lib/http/api.server'
import { idParam } from '@/lib/classes/schemas'

type Params = { params: Promise<{ id: string; userId: string }> }

/** Remove a co-instructor (never the last one). */
export const DELETE = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, userId } = await params
  await removeInstructor(idParam.parse(id), user, idParam.parse(userId))
  return NextResponse.json({ removed: true })
})
