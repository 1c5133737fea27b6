import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { findExercise } from '@/lib/checks/exercise.server'
import { exerciseRefSchema } from '@/lib/checks/api'
import { handler, readJson } from '@/lib/http/api.server'
import { revealSolution } from '@/lib/progress/exercises.server'

// POST {courseSlug, lessonSlug, exerciseId}: the exercise's solution script, recorded as revealed.
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, exerciseRefSchema)
  const { exercise } = findExercise(body.courseSlug, body.lessonSlug, body.exerciseId)
  return NextResponse.json(await revealSolution({ userId: user.id, courseSlug: body.courseSlug, lessonSlug: body.lessonSlug, exercise }))
})
