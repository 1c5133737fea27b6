import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { idParam } from '@/lib/classes/schemas'
import { deleteClassSession } from '@/lib/classes/sessions.server'

type Params = { params: Promise<{ id: string; sessionId: string }> }

/** Cancel a scheduled session (its warmed sandboxes are ended by the next pool tick). */
export const DELETE = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, sessionId } = await params
  await deleteClassSession(idParam.parse(id), user, idParam.parse(sessionId))
  return NextResponse.json({ ok: true })
})
