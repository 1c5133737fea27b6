import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { idParam } from '@/lib/classes/schemas'
import { handler } from '@/lib/http/api.server'
import { queueQuery } from '@/lib/open-questions/api'
import { answerQueue } from '@/lib/open-questions/grading.server'

type Params = { params: Promise<{ id: string }> }

/** GET ?question=course/lesson/id: the class's handed-in answers to one question. The class's instructors only. */
export const GET = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  const { question } = queueQuery.parse(Object.fromEntries(new URL(request.url).searchParams))
  const { answers } = await answerQueue(id, user, question)
  return NextResponse.json({ answers })
})
