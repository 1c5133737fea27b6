import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { findExercise } from '@/lib/checks/exercise.server'
import { asApi, exerciseRefSchema } from '@/lib/checks/http.server'
import { handler, readJson } from '@/lib/http/api.server'
import { revealSolution } from '@/lib/progress/exercises.server'

// POST {courseSlug, lessonSlug, exerciseId}: the exercise's solution script, recorded as revealed.
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, exerciseRefSchema)
  const view = await asApi(async () => {
    const { exercise } = findExercise(body.courseSlug, body.lessonSlug, body.exerciseId)
    return revealSolution({ userId: user.id, courseSlug: body.courseSlug, lessonSlug: body.lessonSlug, exercise })
  })
  return NextResponse.json(view)
})
