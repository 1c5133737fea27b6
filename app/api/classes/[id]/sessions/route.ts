import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { idParam, scheduleSessionInput } from '@/lib/classes/schemas'
import { scheduleClassSession } from '@/lib/classes/sessions.server'
import { handler, readJson } from '@/lib/http/api.server'

type Params = { params: Promise<{ id: string }> }

/** Schedule a class session: { courseSlug, lessonSlug, startsAt }; its sandboxes are warmed shortly before. */
export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return NextResponse.json(await scheduleClassSession(id, user, await readJson(request, scheduleSessionInput, 1024)), { status: 201 })
})
