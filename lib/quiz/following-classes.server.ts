import 'server-only'
import { cache } from 'react'
import { getDb } from '../db/client.server'

/**
 * The learner's active classes that follow this course, with their quiz and exam settings. The
 * lesson page needs them twice (the quiz policy, and whether an exam is under way): cached per
 * request, one query instead of two (each Prisma query costs ~1.5 ms of CPU, most of it in the
 * query compiler's wasm). Here rather than in lib/classes, which imports lib/quiz. Outside a
 * React render (route handlers, tests), every call queries.
 */
export const classesFollowing = cache(async (userId: string, courseSlug: string) => {
  const db = await getDb()
  return db.classroom.findMany({
    where: { archivedAt: null, members: { some: { userId } }, courses: { some: { courseSlug } } },
    select: { id: true, quizMaxAttempts: true, quizExplanations: true, examStartsAt: true, examEndsAt: true, examLessons: true },
  })
})
