import 'server-only'
import { Prisma } from '../generated/prisma/client'
import type { Db } from '../db/client.server'
import type { ExerciseCellRow, ExerciseProgressAgg, ProgressRow, QuizBestRow, StudentInfo } from './aggregate'

/** Names in French alphabetical order (accents after their letter, case ignored). */
const byName = new Intl.Collator('fr', { sensitivity: 'base' })

// The dashboard's aggregate reads, in SQL that SQLite and PostgreSQL both accept (quoted
// identifiers, SUM(CASE ...)). Written by hand rather than with Prisma's groupBy because a
// class of 300 students makes Prisma's row handling the larger part of the time (measured:
// five groupBy calls 150 ms, the same figures in two statements 60 ms; see
// scripts/bench/dashboard.ts). The class scope is in every statement: the class's members
// and the class's courses, as stored in ClassroomMember and ClassroomCourse. ExerciseProgress
// is read from two indexes that hold every column used here (migration 0004), in the order of
// each grouping: by learner and lesson for the matrix, by exercise for the totals.

const inClass = (classId: string) => Prisma.sql`"userId" IN (SELECT m."userId" FROM "ClassroomMember" m WHERE m."classroomId" = ${classId})
    AND "courseSlug" IN (SELECT cc."courseSlug" FROM "ClassroomCourse" cc WHERE cc."classroomId" = ${classId})`

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value))
const date = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)))
const dateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : date(value))

export async function membersOf(db: Db, classId: string): Promise<StudentInfo[]> {
  const rows = await db.$queryRaw<{ id: string; name: string; email: string; joinedAt: unknown }[]>`
    SELECT u."id", u."name", u."email", m."joinedAt"
    FROM "ClassroomMember" m JOIN "user" u ON u."id" = m."userId"
    WHERE m."classroomId" = ${classId}`
  return rows
    .map((r) => ({ id: r.id, name: r.name, email: r.email, joinedAt: date(r.joinedAt) }))
    .sort((a, b) => byName.compare(a.name, b.name) || a.email.localeCompare(b.email))
}

export async function lessonProgressOf(db: Db, classId: string): Promise<ProgressRow[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT "userId", "courseSlug", "lessonSlug", "completedAt", "activeSeconds", "lastSeenAt"
    FROM "LessonProgress" WHERE ${inClass(classId)}`
  return rows.map((r) => ({
    userId: String(r.userId),
    courseSlug: String(r.courseSlug),
    lessonSlug: String(r.lessonSlug),
    completedAt: dateOrNull(r.completedAt),
    activeSeconds: num(r.activeSeconds),
    lastSeenAt: date(r.lastSeenAt),
  }))
}

export async function quizBestOf(db: Db, classId: string): Promise<QuizBestRow[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT "userId", "courseSlug", "lessonSlug", "maxScore", MAX("score") AS best, COUNT(*) AS attempts
    FROM "QuizAttempt" WHERE ${inClass(classId)}
    GROUP BY "userId", "courseSlug", "lessonSlug", "maxScore"`
  return rows.map((r) => ({
    userId: String(r.userId),
    courseSlug: String(r.courseSlug),
    lessonSlug: String(r.lessonSlug),
    maxScore: num(r.maxScore),
    bestScore: num(r.best),
    attempts: num(r.attempts),
  }))
}

/** Exercise progress per student and lesson: the matrix cells. */
export async function exerciseCellsOf(db: Db, classId: string): Promise<ExerciseCellRow[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT "userId", "courseSlug", "lessonSlug",
           SUM(CASE WHEN "completedAt" IS NOT NULL THEN 1 ELSE 0 END) AS completed,
           SUM("attempts") AS attempts, SUM("hintsRevealed") AS hints,
           SUM(CASE WHEN "solutionRevealed" THEN 1 ELSE 0 END) AS solutions
    FROM "ExerciseProgress" WHERE ${inClass(classId)}
    GROUP BY "userId", "courseSlug", "lessonSlug"`
  return rows.map((r) => ({
    userId: String(r.userId),
    courseSlug: String(r.courseSlug),
    lessonSlug: String(r.lessonSlug),
    completed: num(r.completed),
    attempts: num(r.attempts),
    hints: num(r.hints),
    solutions: num(r.solutions),
  }))
}

/**
 * Exercise progress per exercise over the class, attempts and passed attempts included (kept by
 * recordAttempt, live runs left out). A learner "tried" an exercise when they checked it
 * themselves or completed it (a live pass completes it without any attempt): live failures
 * alone never make a learner "stuck".
 */
export async function exerciseTotalsOf(db: Db, classId: string): Promise<ExerciseProgressAgg[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT "courseSlug", "lessonSlug", "exerciseId",
           SUM(CASE WHEN "attempts" > 0 OR "completedAt" IS NOT NULL THEN 1 ELSE 0 END) AS attempted,
           SUM(CASE WHEN "completedAt" IS NOT NULL THEN 1 ELSE 0 END) AS completed,
           SUM("attempts") AS attempts, SUM("passedAttempts") AS passed, SUM("hintsRevealed") AS hints,
           SUM(CASE WHEN "solutionRevealed" THEN 1 ELSE 0 END) AS solutions
    FROM "ExerciseProgress" WHERE ${inClass(classId)}
    GROUP BY "courseSlug", "lessonSlug", "exerciseId"`
  return rows.map((r) => ({
    courseSlug: String(r.courseSlug),
    lessonSlug: String(r.lessonSlug),
    exerciseId: String(r.exerciseId),
    attempted: num(r.attempted),
    completed: num(r.completed),
    attempts: num(r.attempts),
    passedAttempts: num(r.passed),
    hints: num(r.hints),
    solutions: num(r.solutions),
  }))
}
