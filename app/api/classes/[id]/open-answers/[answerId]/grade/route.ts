import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { idParam } from '@/lib/classes/schemas'
import { handler, readJson } from '@/lib/http/api.server'
import { answerIdParam, gradeInput } from '@/lib/open-questions/api'
import { gradeAnswer } from '@/lib/open-questions/grading.server'

type Params = { params: Promise<{ id: string; answerId: string }> }

// PUT { criteria, feedback, allowResubmit, expectSubmissions? }: grades a handed-in answer of a
// member of the class. 403 not an instructor of the class, 404 not the class's answer,
// 409 not_submitted / answer_changed, 422 invalid_grade with the criteria at fault.
export const PUT = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, answerId } = await params
  const input = await readJson(request, gradeInput)
  return NextResponse.json({ answer: await gradeAnswer(idParam.parse(id), user, answerIdParam.parse(answerId), input) })
})
