import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { renderAssertionWithOutputs } from '../checks/render'
import { getCourse } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { assertionSchema } from '../progress/api'
import {
  buildExerciseStats,
  buildMatrix,
  isLive,
  presenceWindowMs,
  summarizeLessons,
  toCsv,
  type ExerciseStats,
  type LessonColumn,
  type LessonSummary,
  type LiveEntry,
  type MatrixRow,
  type StudentInfo,
} from './aggregate'
import { requireTeaching, type ClassDetail } from './classes.server'
import { classFailuresOf } from './failures.server'
import { exerciseCellsOf, exerciseTotalsOf, lessonProgressOf, membersOf, quizBestOf } from './queries.server'

export type { LiveEntry } from './aggregate'

// The class dashboard's data. Every query is scoped to the class on the server: its members
// and its courses (queries.server.ts). Aggregation happens in the database, over counts kept
// when each check run is recorded (ExerciseProgress.attempts and passedAttempts,
// ExerciseAssertionFailure: lib/progress/exercises.server.ts), so the cost of a look does not
// grow with the number of stored runs, and nothing is kept in this server's memory: every
// instance, just started or not, reads the same figures. No attempt's record is loaded.

export type Locale = 'fr' | 'en'

/** The lessons of the class's courses, in teaching order. Courses removed from the content are skipped. */
export function classLessons(courseSlugs: readonly string[]): LessonColumn[] {
  return courseSlugs.flatMap((slug) => {
    const course = getCourse(slug)
    if (!course) return []
    return course.lessons.map((lesson) => ({
      key: lesson.key,
      courseSlug: slug,
      lessonSlug: lesson.slug,
      title: lesson.frontmatter?.title ?? lesson.slug,
      courseTitle: course.index.title,
      hasQuiz: lesson.quiz !== null,
      quizPassingScore: lesson.quiz?.passingScore ?? null,
      exercises: lesson.exercises.map((e) => ({ id: e.id, title: e.title })),
    }))
  })
}

/** `outputs`: the raw tool outputs `message` gives the cause of, for a disclosure. */
export type RenderedFailure = { assertionId: string; failures: number; students: number; message: string; outputs: string[] }
export type ExerciseView = Omit<ExerciseStats, 'topFailures'> & { topFailures: RenderedFailure[] }
export type ClassDashboard = {
  classroom: ClassDetail
  lessons: LessonColumn[]
  matrix: MatrixRow[]
  lessonSummaries: LessonSummary[]
  exercises: ExerciseView[]
  live: LiveEntry[]
  generatedAt: Date
}

/** Renders a stored assertion's message in the reader's language, with the raw outputs it read; an unreadable one shows its id. */
export function assertionMessageWithOutputs(sample: unknown, fallback: string, locale: Locale): { message: string; outputs: string[] } {
  const parsed = assertionSchema.safeParse(sample)
  if (!parsed.success) return { message: fallback, outputs: [] }
  try {
    const rendered = renderAssertionWithOutputs(parsed.data as Parameters<typeof renderAssertionWithOutputs>[0], locale)
    return { message: rendered.text, outputs: rendered.outputs }
  } catch {
    return { message: fallback, outputs: [] }
  }
}

export function assertionMessage(sample: unknown, fallback: string, locale: Locale): string {
  return assertionMessageWithOutputs(sample, fallback, locale).message
}

async function loadMatrix(classId: string, students: StudentInfo[], lessons: LessonColumn[]): Promise<MatrixRow[]> {
  const db = await getDb()
  // One SQLite connection runs these one after the other; PostgreSQL runs them side by side.
  const [progress, quizBest, exerciseCells] = await Promise.all([lessonProgressOf(db, classId), quizBestOf(db, classId), exerciseCellsOf(db, classId)])
  return buildMatrix({ lessons, students, progress, quizBest, exerciseCells })
}

async function loadExercises(classId: string, students: StudentInfo[], lessons: LessonColumn[], locale: Locale): Promise<ExerciseView[]> {
  const db = await getDb()
  const [totals, failures] = await Promise.all([exerciseTotalsOf(db, classId), classFailuresOf(db, classId)])
  const stats = buildExerciseStats({ lessons, classSize: students.length, progress: totals, failures })
  return stats.map((s) => ({
    ...s,
    topFailures: s.topFailures.map((f) => ({ assertionId: f.assertionId, failures: f.failures, students: f.students, ...assertionMessageWithOutputs(f.sample, f.assertionId, locale) })),
  }))
}

/** Who in the class is working right now, on which lesson and exercise (class courses only). */
async function loadLive(memberIds: string[], lessons: LessonColumn[], courseSlugs: string[], now = new Date()): Promise<LiveEntry[]> {
  if (memberIds.length === 0) return []
  const db = await getDb()
  const rows = await db.presence.findMany({
    where: { userId: { in: memberIds }, courseSlug: { in: courseSlugs }, lastSeenAt: { gte: new Date(now.getTime() - presenceWindowMs) } },
    select: { userId: true, courseSlug: true, lessonSlug: true, exerciseId: true, since: true, lastSeenAt: true, user: { select: { name: true } } },
    orderBy: { since: 'asc' },
  })
  const lessonByKey = new Map(lessons.map((l) => [`${l.courseSlug}/${l.lessonSlug}`, l]))
  const live = rows.filter((r) => isLive(r, now))
  // How long: `since` is when the learner arrived on this lesson and exercise (a move or a
  // break restarts it); lessonSeconds is all the time the lesson page was visible.
  const spent = live.length
    ? await db.lessonProgress.findMany({
        where: { userId: { in: live.map((r) => r.userId) }, courseSlug: { in: courseSlugs } },
        select: { userId: true, courseSlug: true, lessonSlug: true, activeSeconds: true },
      })
    : []
  const seconds = new Map(spent.map((p) => [`${p.userId}\u0000${p.courseSlug}/${p.lessonSlug}`, p.activeSeconds]))
  return live
    .map((r) => {
      const lesson = lessonByKey.get(`${r.courseSlug}/${r.lessonSlug}`)
      return {
        userId: r.userId,
        name: r.user.name,
        courseSlug: r.courseSlug,
        lessonSlug: r.lessonSlug,
        lessonTitle: lesson?.title ?? r.lessonSlug,
        exerciseId: r.exerciseId,
        exerciseTitle: r.exerciseId ? (lesson?.exercises.find((e) => e.id === r.exerciseId)?.title ?? r.exerciseId) : null,
        since: r.since.toISOString(),
        lastSeenAt: r.lastSeenAt.toISOString(),
        lessonSeconds: seconds.get(`${r.userId}\u0000${r.courseSlug}/${r.lessonSlug}`) ?? 0,
      }
    })
}

/** Durations of the dashboard's phases, in ms, for a Server-Timing header. */
export type Timings = Map<string, number>

async function timed<T>(timings: Timings | undefined, name: string, work: Promise<T>): Promise<T> {
  if (!timings) return work
  const started = performance.now()
  try {
    return await work
  } finally {
    timings.set(name, performance.now() - started)
  }
}

export async function getClassDashboard(classId: string, user: Pick<SessionUser, 'id' | 'role'>, locale: Locale, timings?: Timings): Promise<ClassDashboard> {
  const classroom = await timed(timings, 'class', requireTeaching(classId, user))
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const lessons = classLessons(courseSlugs)
  const students = await timed(timings, 'members', getDb().then((db) => membersOf(db, classId)))
  const [matrix, exercises, live] = await Promise.all([
    timed(timings, 'matrix', loadMatrix(classId, students, lessons)),
    timed(timings, 'exercises', loadExercises(classId, students, lessons, locale)),
    timed(
      timings,
      'live',
      loadLive(
        students.map((s) => s.id),
        lessons,
        courseSlugs,
      ),
    ),
  ])
  return { classroom, lessons, matrix, lessonSummaries: summarizeLessons(lessons, matrix), exercises, live, generatedAt: new Date() }
}

/** "class;dur=3.1, members;dur=2.0, …" */
export function serverTiming(timings: Timings): string {
  return [...timings].map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`).join(', ')
}

export async function getClassPresence(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<LiveEntry[]> {
  const classroom = await requireTeaching(classId, user)
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const db = await getDb()
  const memberIds = (await db.classroomMember.findMany({ where: { classroomId: classId }, select: { userId: true } })).map((m) => m.userId)
  return loadLive(memberIds, classLessons(courseSlugs), courseSlugs)
}

const csvHeaders: Record<Locale, string[]> = {
  fr: ['Nom', 'E-mail', 'Cours', 'Leçon', 'Statut', 'Meilleur quiz (%)', 'Tentatives de quiz', 'Exercices réussis', 'Exercices', 'Vérifications', 'Indices', 'Solutions', 'Temps actif (min)'],
  en: ['Name', 'Email', 'Course', 'Lesson', 'Status', 'Best quiz (%)', 'Quiz attempts', 'Exercises passed', 'Exercises', 'Checks', 'Hints', 'Solutions', 'Active time (min)'],
}
const statusLabels: Record<Locale, Record<string, string>> = {
  fr: { 'not-started': 'non commencée', 'in-progress': 'en cours', completed: 'terminée' },
  en: { 'not-started': 'not started', 'in-progress': 'in progress', completed: 'completed' },
}

/** One row per student × lesson, for a spreadsheet. "Vérifications" / "Checks" are attempts: live runs are not. */
export async function exportClassCsv(classId: string, user: Pick<SessionUser, 'id' | 'role'>, locale: Locale): Promise<{ filename: string; body: string }> {
  const classroom = await requireTeaching(classId, user)
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const lessons = classLessons(courseSlugs)
  const matrix = await loadMatrix(classId, await membersOf(await getDb(), classId), lessons)
  const rows: (string | number | null)[][] = [csvHeaders[locale]]
  for (const row of matrix) {
    lessons.forEach((lesson, i) => {
      const cell = row.cells[i]!
      rows.push([
        row.student.name,
        row.student.email,
        lesson.courseTitle,
        lesson.title,
        statusLabels[locale][cell.status]!,
        cell.bestQuizPercent,
        lesson.hasQuiz ? cell.quizAttempts : null,
        lesson.exercises.length > 0 ? cell.exercisesCompleted : null,
        lesson.exercises.length,
        cell.exerciseAttempts,
        cell.hintsRevealed,
        cell.solutionsRevealed,
        Math.round(cell.activeSeconds / 60),
      ])
    })
  }
  const date = new Date().toISOString().slice(0, 10)
  const slug = classroom.name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'classe'
  return { filename: `${slug}-${date}.csv`, body: toCsv(rows, locale === 'fr' ? ';' : ',') }
}
