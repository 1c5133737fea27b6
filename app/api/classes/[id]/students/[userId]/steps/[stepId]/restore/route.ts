import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler, readJson } from '@/lib/http/api.server'
import { idParam } from '@/lib/classes/schemas'
import { restoreStudentStep, studentWork } from '@/lib/classes/student-work.server'
import { restoreStepBodySchema, stepIdSchema } from '@/lib/workspace/api'

type Params = { params: Promise<{ id: string; userId: string; stepId: string }> }

/** An instructor puts a student's running sandbox back to one of its steps (the instructor confirmed). */
export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, userId, stepId } = await params
  await readJson(request, restoreStepBodySchema)
  const classId = idParam.parse(id)
  const studentId = idParam.parse(userId)
  await restoreStudentStep(classId, user, studentId, stepIdSchema.parse(stepId))
  return NextResponse.json(await studentWork(classId, user, studentId))
})
