import 'server-only'
import type { LessonRecord } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { isUniqueViolation } from '../db/errors'
import { ApiError } from '../errors'
import { refreshLessonCompletion } from '../progress/lessons.server'
import { percentOf } from '../progress/rules'
import { gradeQuiz, type QuizGrade, type QuizSubmission } from './grade.server'

// The path of a learner's quiz submission, as lib/checks/exercise.server.ts is the path of a
// "Vérifier": grade it here (the answer keys stay in lib/quiz), store the attempt, then let
// lib/progress decide whether the lesson is complete. The route wraps it in the learner's
// quiz policy (submitWithinPolicy, attempts.server.ts).

export type QuizAttemptResult = { attemptId: string; grade: QuizGrade; replayed: boolean }

/**
 * Grades and stores one submission. The same submissionId sent twice (a retry, a double
 * click, two racing requests) is stored once and answers with the stored result.
 */
export async function submitQuiz(userId: string, lesson: LessonRecord, submission: QuizSubmission): Promise<QuizAttemptResult> {
  if (!lesson.quiz) throw new Error('this lesson has no quiz')
  const grade = gradeQuiz(lesson.quiz, submission.answers)
  const db = await getDb()
  const key = { userId, submissionId: submission.submissionId }
  const existing = await db.quizAttempt.findUnique({ where: { userId_submissionId: key } })
  if (existing) return replay(existing, lesson, grade)
  try {
    const attempt = await db.$transaction(async (tx) => {
      await tx.lessonProgress.upsert({
        where: { userId_courseSlug_lessonSlug: { userId, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug } },
        create: { userId, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug },
        update: { lastSeenAt: new Date() },
      })
      return tx.quizAttempt.create({
        data: {
          ...key,
          courseSlug: lesson.courseSlug,
          lessonSlug: lesson.slug,
          answers: submission.answers,
          results: grade.results.map(({ questionId, correct, answered }) => ({ questionId, correct, answered })),
          score: grade.score,
          maxScore: grade.maxScore,
        },
      })
    })
    await refreshLessonCompletion(userId, lesson.courseSlug, lesson.slug)
    return { attemptId: attempt.id, grade, replayed: false }
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    const stored = await db.quizAttempt.findUniqueOrThrow({ where: { userId_submissionId: key } })
    return replay(stored, lesson, grade)
  }
}

function replay(stored: { id: string; courseSlug: string; lessonSlug: string; score: number; maxScore: number }, lesson: LessonRecord, grade: QuizGrade): QuizAttemptResult {
  if (stored.courseSlug !== lesson.courseSlug || stored.lessonSlug !== lesson.slug) {
    throw new ApiError(409, 'submission_reused', 'this submission id was already used for another lesson')
  }
  const percent = percentOf(stored)
  return { attemptId: stored.id, grade: { ...grade, score: stored.score, maxScore: stored.maxScore, percent, passed: percent >= lesson.quiz!.passingScore }, replayed: true }
}
