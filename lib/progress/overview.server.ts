import 'server-only'
import { listCourses } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { buildOverview, type CourseShape, type ProgressOverview } from './overview'

export type { CourseOverview, LessonOverview, ProgressOverview, ResumePoint } from './overview'

/** The catalogue as the progress page shows it: courses, lessons, their quiz and exercises. */
function catalogue(): CourseShape[] {
  return listCourses().map((course) => ({
    slug: course.slug,
    title: course.index.title,
    lessons: course.lessons.map((lesson) => ({
      slug: lesson.slug,
      title: lesson.frontmatter?.title ?? lesson.slug,
      hasQuiz: lesson.quiz !== null,
      quizPassingScore: lesson.quiz?.passingScore ?? 0,
      exercises: lesson.exercises.map((e) => ({ id: e.id, title: e.title })),
    })),
  }))
}

/** One learner's progress in every course: per lesson what is done and what is missing, and where to resume. */
export async function progressOverview(userId: string): Promise<ProgressOverview> {
  const db = await getDb()
  const where = { userId }
  const [lessons, quizzes, exercises, presence] = await Promise.all([
    db.lessonProgress.findMany({ where, select: { courseSlug: true, lessonSlug: true, completedAt: true, lastSeenAt: true } }),
    db.quizAttempt.findMany({ where, select: { courseSlug: true, lessonSlug: true, score: true, maxScore: true, createdAt: true } }),
    db.exerciseProgress.findMany({ where, select: { courseSlug: true, lessonSlug: true, exerciseId: true, completedAt: true, updatedAt: true } }),
    db.presence.findUnique({ where, select: { courseSlug: true, lessonSlug: true, exerciseId: true } }),
  ])
  return buildOverview(catalogue(), { lessons, quizzes, exercises, presence })
}
