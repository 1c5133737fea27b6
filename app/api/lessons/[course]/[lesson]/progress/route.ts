import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { getLesson } from '@/lib/content/lessons.server'
import { ApiError, handler, notFoundError, readJson } from '@/lib/http/api.server'
import { progressActionSchema } from '@/lib/progress/api'
import { lessonProgress, recordHeartbeat, refreshLessonCompletion } from '@/lib/progress/lessons.server'
import { hasWork } from '@/lib/progress/rules'

type Params = { params: Promise<{ course: string; lesson: string }> }

export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const { course, lesson: lessonSlug } = await params
  const lesson = getLesson(course, lessonSlug)
  if (!lesson) throw notFoundError('lesson')
  const body = await readJson(request, progressActionSchema, 2048)
  if (body.action === 'heartbeat') {
    if (body.exerciseId && !lesson.exercises.some((e) => e.id === body.exerciseId)) throw notFoundError('exercise')
    await recordHeartbeat(user.id, course, lessonSlug, body.seconds, body.exerciseId)
  } else {
    if (hasWork({ hasQuiz: lesson.quiz !== null, exerciseCount: lesson.exercises.length })) {
      throw new ApiError(409, 'has_work', 'this lesson is completed by its quiz and exercises, not by marking it read')
    }
    await refreshLessonCompletion(user.id, course, lessonSlug, { markedRead: true })
  }
  return NextResponse.json(await lessonProgress(user.id, course, lessonSlug))
})
