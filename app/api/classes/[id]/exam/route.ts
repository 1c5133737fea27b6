import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { idParam } from '@/lib/classes/schemas'
import { examInput } from '@/lib/exams/api'
import { endClassExam, getClassExam, setClassExam } from '@/lib/exams/exams.server'
import { handler, readJson } from '@/lib/http/api.server'

type Params = { params: Promise<{ id: string }> }

// The class's exam mode. Instructors of the class only (a student gets 403, like anyone who
// does not teach it). 422 names the fields of a bad window or lesson list.

export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return NextResponse.json({ exam: await getClassExam(id, user) })
})

/** Set or replace the exam: { startsAt, endsAt, lessons: ["course/lesson", …] | null }. */
export const PUT = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return NextResponse.json({ exam: await setClassExam(id, user, await readJson(request, examInput, 16 * 1024)) })
})

/** End an exam under way now (its window stays for the grade sheet), or remove one to come or over. */
export const DELETE = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return NextResponse.json({ exam: await endClassExam(id, user) })
})
