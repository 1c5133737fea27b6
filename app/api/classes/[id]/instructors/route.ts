import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { addInstructor } from '@/lib/classes/classes.server'
import { addInstructorInput, idParam } from '@/lib/classes/schemas'
import { handler, readJson } from '@/lib/http/api.server'

type Params = { params: Promise<{ id: string }> }

/** Add a co-instructor by the email of their instructor account: { email }. */
export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  const { email } = await readJson(request, addInstructorInput, 1024)
  return NextResponse.json(await addInstructor(id, user, email), { status: 201 })
})
