import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { requireTeaching, updateClass } from '@/lib/classes/classes.server'
import { idParam, updateClassInput } from '@/lib/classes/schemas'
import { handler, readJson } from '@/lib/http/api.server'

type Params = { params: Promise<{ id: string }> }

export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return NextResponse.json(await requireTeaching(id, user))
})

/** Rename, change courses, archive or restore, set the class's quiz policy: { name?, courses?, archived?, quizMaxAttempts?, quizExplanations? }. */
export const PATCH = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  await updateClass(id, user, await readJson(request, updateClassInput, 8 * 1024))
  return NextResponse.json(await requireTeaching(id, user))
})
