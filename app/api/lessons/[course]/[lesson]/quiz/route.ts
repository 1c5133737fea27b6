import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { getLesson } from '@/lib/content/lessons.server'
import { handler, notFoundError, readJson } from '@/lib/http/api.server'
import { lessonProgress } from '@/lib/progress/lessons.server'
import { submitWithinPolicy } from '@/lib/quiz/attempts.server'
import { maxSubmissionBytes, quizSubmissionSchema, type QuizAnswerView } from '@/lib/quiz/api'
import { submitQuiz } from '@/lib/quiz/submit.server'

type Params = { params: Promise<{ course: string; lesson: string }> }

// POST { submissionId, answers }: grade and store one attempt within the learner's quiz policy.
// 201 stored, 200 the same submissionId again; 409 quiz_closed (no attempt left), quiz_busy,
// submission_reused; 422 invalid_answer. Explanations only as the policy allows.
export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const { course, lesson: lessonSlug } = await params
  const lesson = getLesson(course, lessonSlug)
  if (!lesson?.quiz) throw notFoundError('quiz')
  const submission = await readJson(request, quizSubmissionSchema, maxSubmissionBytes)
  // Its refusals are ApiErrors: 422 invalid_answer, 409 quiz_closed, quiz_busy, submission_reused.
  const outcome = await submitWithinPolicy(user.id, { ...lesson, quiz: lesson.quiz }, submission, () => submitQuiz(user.id, lesson, submission))
  const progress = await lessonProgress(user.id, course, lessonSlug)
  return NextResponse.json({ ...outcome, standing: progress.quiz, lessonStatus: progress.status } satisfies QuizAnswerView, { status: outcome.replayed ? 200 : 201 })
})
