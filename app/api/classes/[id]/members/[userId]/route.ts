import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { removeMember } from '@/lib/classes/classes.server'
import { handler } from '@/lib/http/api.server'
import { idParam } from '@/lib/classes/schemas'

type Params = { params: Promise<{ id: string; userId: string }> }

/** Remove a student from the class. */
export const DELETE = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, userId } = await params
  await removeMember(idParam.parse(id), user, idParam.parse(userId))
  return NextResponse.json({ removed: true })
})
