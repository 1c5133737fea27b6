import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { findExercise } from '@/lib/checks/exercise.server'
import { exerciseRefSchema } from '@/lib/checks/api'
import { refuseDuringExam } from '@/lib/exams/exams.server'
import { handler, readJson } from '@/lib/http/api.server'
import { revealSolution } from '@/lib/progress/exercises.server'

// POST {courseSlug, lessonSlug, exerciseId}: the exercise's solution script, recorded as revealed.
// 403 exam_in_progress while the learner's class is in an exam on the lesson.
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, exerciseRefSchema)
  await refuseDuringExam(user, body)
  const { exercise } = findExercise(body.courseSlug, body.lessonSlug, body.exerciseId)
  return NextResponse.json(await revealSolution({ userId: user.id, courseSlug: body.courseSlug, lessonSlug: body.lessonSlug, exercise }))
})
