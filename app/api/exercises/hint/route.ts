import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { findExercise } from '@/lib/checks/exercise.server'
import { hintRequestSchema } from '@/lib/checks/api'
import { refuseDuringExam } from '@/lib/exams/exams.server'
import { handler, readJson } from '@/lib/http/api.server'
import { revealHint } from '@/lib/progress/exercises.server'

// POST {courseSlug, lessonSlug, exerciseId, index}: reveal hint `index` (0-based), in order.
// Answers every hint revealed so far. 404 unknown exercise or hint, 409 out of order, 403
// exam_in_progress while the learner's class is in an exam on the lesson.
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, hintRequestSchema)
  await refuseDuringExam(user, body)
  const { exercise } = findExercise(body.courseSlug, body.lessonSlug, body.exerciseId)
  return NextResponse.json(await revealHint({ userId: user.id, courseSlug: body.courseSlug, lessonSlug: body.lessonSlug, exercise, index: body.index }))
})
