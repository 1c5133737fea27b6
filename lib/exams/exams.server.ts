import 'server-only'
import { z } from 'zod'
import type { SessionUser } from '../auth/session.server'
import { requireTeaching } from '../classes/classes.server'
import { ClassError } from '../classes/errors'
import { classesFollowing } from '../quiz/following-classes.server'
import { getCourse } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import type { ExerciseStateView } from '../progress/api'
import type { PublicExercise } from '../checks/public'
import { examInput, type ActiveExam, type ExamView } from './api'
import { ExamError } from './errors'

// Exam mode. An instructor of a class sets a window (and optionally the lessons it covers); in
// it, the class's students get no hints, no solution and no "Exécuter" buttons on those lessons:
// the lesson page sends neither their text nor the buttons (examPublicExercise, examStates), and
// the hint, solution and live APIs refuse (refuseDuringExam): live mode re-checks the sandbox as
// the learner types, a hint that never stops, so the page does not offer it either. Every click on
// "Vérifier" is stored as always (ExerciseAttempt, with its time and score): the grade sheet and
// the student's page read them.
// Outside the window, for instructors, and for students of other classes, nothing changes.

type Classroomish = { examStartsAt: Date | null; examEndsAt: Date | null; examLessons: string | null }

const storedLessons = z.array(z.string()).nullable()

function lessonsOf(row: Pick<Classroomish, 'examLessons'>): string[] | null {
  if (row.examLessons === null) return null
  try {
    return storedLessons.parse(JSON.parse(row.examLessons))
  } catch {
    // An unreadable list must not open the exam up: it covers every lesson.
    return null
  }
}

export function examViewOf(row: Classroomish): ExamView {
  if (!row.examStartsAt || !row.examEndsAt) return null
  return { startsAt: row.examStartsAt.toISOString(), endsAt: row.examEndsAt.toISOString(), lessons: lessonsOf(row) }
}

/** The class's exam (under way, to come or over), for its instructors. */
export async function getClassExam(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<ExamView> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const row = await db.classroom.findUniqueOrThrow({ where: { id: classId }, select: { examStartsAt: true, examEndsAt: true, examLessons: true } })
  return examViewOf(row)
}

/** Sets (or replaces) the class's exam. Only an instructor of the class; the lessons must be the class's. */
export async function setClassExam(classId: string, user: Pick<SessionUser, 'id' | 'role'>, raw: unknown, now = new Date()): Promise<ExamView> {
  const input = examInput.parse(raw)
  const classroom = await requireTeaching(classId, user)
  if (classroom.archivedAt) throw new ClassError('class_archived', 'this class is archived')
  const endsAt = new Date(input.endsAt)
  if (endsAt.getTime() <= now.getTime()) throw new ExamError('exam_already_over', 'the exam must end in the future', { field: 'endsAt' })
  if (input.lessons) {
    const known = new Set(classroom.courses.flatMap((c) => getCourse(c.slug)?.lessons.map((l) => l.key) ?? []))
    const unknown = input.lessons.filter((key) => !known.has(key))
    if (unknown.length > 0) throw new ExamError('exam_lesson_not_in_class', `not a lesson of the class's courses: ${unknown.join(', ')}`, { field: 'lessons', lessons: unknown })
  }
  const db = await getDb()
  const row = await db.classroom.update({
    where: { id: classId },
    data: { examStartsAt: new Date(input.startsAt), examEndsAt: endsAt, examLessons: input.lessons ? JSON.stringify(input.lessons) : null },
    select: { examStartsAt: true, examEndsAt: true, examLessons: true },
  })
  return examViewOf(row)
}

export type ExamStatus = 'toCome' | 'underWay' | 'over'

export function examStatus(exam: NonNullable<ExamView>, now = new Date()): ExamStatus {
  if (Date.parse(exam.endsAt) <= now.getTime()) return 'over'
  return Date.parse(exam.startsAt) <= now.getTime() ? 'underWay' : 'toCome'
}

/**
 * Ends the class's exam. One under way ends now: the class is back to normal at once, and its
 * window (now closed) stays for the grade sheet. One to come or over is removed: the grade
 * sheet counts every run again.
 */
export async function endClassExam(classId: string, user: Pick<SessionUser, 'id' | 'role'>, now = new Date()): Promise<ExamView> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const select = { examStartsAt: true, examEndsAt: true, examLessons: true } as const
  const current = examViewOf(await db.classroom.findUniqueOrThrow({ where: { id: classId }, select }))
  const data = current && examStatus(current, now) === 'underWay' ? { examEndsAt: now } : { examStartsAt: null, examEndsAt: null, examLessons: null }
  return examViewOf(await db.classroom.update({ where: { id: classId }, data, select }))
}

/**
 * The exam `user` is in on this lesson now, or null. Only students: an instructor (previewing,
 * or trying a lesson) is never in an exam. Of several classes in an exam on the lesson, the one
 * that ends last.
 */
export async function activeExamFor(user: Pick<SessionUser, 'id' | 'role'>, courseSlug: string, lessonSlug: string, now = new Date()): Promise<ActiveExam | null> {
  if (user.role !== 'student') return null
  // The same rows as the quiz policy's (one query per page), filtered here: under way now, the
  // one that ends last first.
  const rows = (await classesFollowing(user.id, courseSlug))
    .filter((r): r is typeof r & { examStartsAt: Date; examEndsAt: Date } => r.examStartsAt !== null && r.examEndsAt !== null && r.examStartsAt <= now && r.examEndsAt > now)
    .sort((a, b) => b.examEndsAt.getTime() - a.examEndsAt.getTime())
  const key = `${courseSlug}/${lessonSlug}`
  const row = rows.find((r) => {
    const lessons = lessonsOf(r)
    return lessons === null || lessons.includes(key)
  })
  if (!row) return null
  return { classId: row.id, startsAt: row.examStartsAt!.toISOString(), endsAt: row.examEndsAt!.toISOString() }
}

const refusals = { help: 'hints and solutions are off during the exam', live: 'live mode is off during the exam' } as const

/** For the hint, solution and live APIs: 403 exam_in_progress while the learner is in an exam on this lesson. */
export async function refuseDuringExam(user: Pick<SessionUser, 'id' | 'role'>, ref: { courseSlug: string; lessonSlug: string }, what: keyof typeof refusals = 'help'): Promise<void> {
  const exam = await activeExamFor(user, ref.courseSlug, ref.lessonSlug)
  if (exam) {
    throw new ExamError('exam_in_progress', refusals[what], { endsAt: exam.endsAt })
  }
}

/** How often an open live stream asks whether an exam began on its lesson (tests shorten it). */
let examWatchMs = 15_000
export function setExamWatchMsForTests(ms: number | null): void {
  examWatchMs = ms ?? 15_000
}

/**
 * Calls `onStart` once an exam on the lesson is under way for the user: a live stream opened
 * before the window must not go on into it (the learner's page then reloads into exam mode).
 * Returns the function that stops watching.
 */
export function watchForExam(user: Pick<SessionUser, 'id' | 'role'>, ref: { courseSlug: string; lessonSlug: string }, onStart: () => void): () => void {
  if (user.role !== 'student') return () => undefined
  let stopped = false
  const timer = setInterval(() => {
    void activeExamFor(user, ref.courseSlug, ref.lessonSlug)
      .then((exam) => {
        if (!exam || stopped) return
        stop()
        onStart()
      })
      .catch(() => undefined)
  }, examWatchMs)
  timer.unref()
  const stop = () => {
    stopped = true
    clearInterval(timer)
  }
  return stop
}

/** An exercise as the browser gets it during an exam: not even how many hints there are. */
export function examPublicExercise(exercise: PublicExercise): PublicExercise {
  return { ...exercise, hintCount: 0 }
}

/**
 * The learner's exercise states during an exam: hints and a solution revealed before the exam
 * are not sent, and `attempts` is the attempts made in the exam's window.
 */
export async function examStates(userId: string, courseSlug: string, lessonSlug: string, exam: ActiveExam, states: Record<string, ExerciseStateView>): Promise<Record<string, ExerciseStateView>> {
  const db = await getDb()
  const counts = await db.exerciseAttempt.groupBy({
    by: ['exerciseId'],
    where: { userId, courseSlug, lessonSlug, trigger: 'manual', createdAt: { gte: new Date(exam.startsAt), lt: new Date(exam.endsAt) } },
    _count: { _all: true },
  })
  return Object.fromEntries(
    Object.entries(states).map(([id, state]) => [
      id,
      { ...state, hints: [], hintCount: 0, solution: null, solutionRevealed: false, attempts: counts.find((c) => c.exerciseId === id)?._count._all ?? 0 },
    ]),
  )
}
