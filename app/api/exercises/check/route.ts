import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { checkExercise } from '@/lib/checks/exercise.server'
import { checkRequestSchema } from '@/lib/checks/api'
import { getSandboxAccess } from '@/lib/checks/check-targets.server'
import { readJson } from '@/lib/http/api.server'
import { admit, limitedHandler } from '@/lib/http/usage-limits.server'

// POST {sandboxId, courseSlug, lessonSlug, exerciseId}: run the exercise's checks on the
// learner's sandbox and store the attempt. 404 unknown exercise, 403 not your sandbox,
// 409 sandbox not running, 503 daemon gone, 504 over the exercise's time budget, 422 bad body
// or a sandbox whose daemon answers more than Quai reads, 429 past the user's `checks` limits.
export const POST = limitedHandler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, checkRequestSchema)
  const release = await admit('checks', user.id)
  try {
    return NextResponse.json(await checkExercise({ ...body, userId: user.id, trigger: 'manual' }, getSandboxAccess()))
  } finally {
    release()
  }
})
