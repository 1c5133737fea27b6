import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { getLesson } from '@/lib/content/lessons.server'
import { ApiError, handler, notFoundError, readJson } from '@/lib/http/api.server'
import { lessonProgress, submitQuiz } from '@/lib/progress/lessons.server'
import { maxSubmissionBytes, QuizSubmissionError, quizSubmissionSchema } from '@/lib/quiz/grade.server'

type Params = { params: Promise<{ course: string; lesson: string }> }

export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const { course, lesson: lessonSlug } = await params
  const lesson = getLesson(course, lessonSlug)
  if (!lesson?.quiz) throw notFoundError('quiz')
  const submission = await readJson(request, quizSubmissionSchema, maxSubmissionBytes)
  try {
    const { attemptId, grade, replayed } = await submitQuiz(user.id, lesson, submission)
    const progress = await lessonProgress(user.id, course, lessonSlug)
    return NextResponse.json({ attemptId, replayed, ...grade, standing: progress.quiz, lessonStatus: progress.status }, { status: replayed ? 200 : 201 })
  } catch (error) {
    if (error instanceof QuizSubmissionError) {
      throw new ApiError(422, 'invalid_answer', error.message, { fields: [{ field: error.field, message: error.message }] })
    }
    if (error instanceof Error && error.message.includes('already used for another lesson')) {
      throw new ApiError(409, 'submission_reused', error.message)
    }
    throw error
  }
})
