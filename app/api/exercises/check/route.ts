import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { checkExercise } from '@/lib/checks/exercise.server'
import { asApi, checkRequestSchema } from '@/lib/checks/http.server'
import { getSandboxAccess } from '@/lib/checks/sandbox-access.server'
import { handler, readJson } from '@/lib/http/api.server'

// POST {sandboxId, courseSlug, lessonSlug, exerciseId}: run the exercise's checks on the
// learner's sandbox and store the attempt. 404 unknown exercise, 403 not your sandbox,
// 409 sandbox not running, 503 daemon gone, 504 over the exercise's time budget, 422 bad body.
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, checkRequestSchema)
  const outcome = await asApi(() => checkExercise({ ...body, userId: user.id, trigger: 'manual' }, getSandboxAccess()))
  return NextResponse.json(outcome)
})
