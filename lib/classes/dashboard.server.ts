import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { renderAssertion } from '../checks/render'
import { getCourse } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { storedAssertionSchema } from '../progress/exercises.server'
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
  type MatrixRow,
  type PresenceRow,
} from './aggregate'
import { requireTeaching, type ClassDetail } from './classes.server'
import { classAttemptTally } from './tally.server'

// The class dashboard's data. Every query is scoped to the class on the server: the user ids
// of its members (read from ClassroomMember in the same request) and its courses.
// Aggregation happens in the database (groupBy), and check runs come from the class's tally
// (tally.server.ts: one JSON query the first time, then only the runs recorded since).

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

type Scope = { userId: { in: string[] }; courseSlug: { in: string[] } }

async function classMembers(classId: string) {
  const db = await getDb()
  const members = await db.classroomMember.findMany({ where: { classroomId: classId }, select: { joinedAt: true, user: { select: { id: true, name: true, email: true } } } })
  return members.map((m) => ({ ...m.user, joinedAt: m.joinedAt })).sort((a, b) => a.name.localeCompare(b.name, 'fr') || a.email.localeCompare(b.email))
}

export type RenderedFailure = { assertionId: string; failures: number; students: number; message: string }
export type ExerciseView = Omit<ExerciseStats, 'topFailures'> & { topFailures: RenderedFailure[] }
export type LiveEntry = {
  userId: string
  name: string
  courseSlug: string
  lessonSlug: string
  lessonTitle: string
  exerciseId: string | null
  exerciseTitle: string | null
  since: string
  lastSeenAt: string
}

export type ClassDashboard = {
  classroom: ClassDetail
  lessons: LessonColumn[]
  matrix: MatrixRow[]
  lessonSummaries: LessonSummary[]
  exercises: ExerciseView[]
  live: LiveEntry[]
  generatedAt: Date
}

/** Renders a stored assertion's message in the reader's language; an unreadable one shows its id. */
export function assertionMessage(sample: unknown, fallback: string, locale: Locale): string {
  const parsed = storedAssertionSchema.safeParse(sample)
  if (!parsed.success) return fallback
  try {
    return renderAssertion(parsed.data as Parameters<typeof renderAssertion>[0], locale)
  } catch {
    return fallback
  }
}

async function loadMatrix(students: Awaited<ReturnType<typeof classMembers>>, lessons: LessonColumn[], scope: Scope) {
  const db = await getDb()
  const [progress, quizBest, exerciseCells, solutions] = await Promise.all([
    db.lessonProgress.findMany({
      where: scope,
      select: { userId: true, courseSlug: true, lessonSlug: true, completedAt: true, activeSeconds: true, lastSeenAt: true },
    }),
    db.quizAttempt.groupBy({ by: ['userId', 'courseSlug', 'lessonSlug', 'maxScore'], where: scope, _max: { score: true }, _count: { _all: true } }),
    db.exerciseProgress.groupBy({
      by: ['userId', 'courseSlug', 'lessonSlug'],
      where: scope,
      _sum: { attempts: true, hintsRevealed: true },
      _count: { completedAt: true },
    }),
    db.exerciseProgress.groupBy({ by: ['userId', 'courseSlug', 'lessonSlug'], where: { ...scope, solutionRevealed: true }, _count: { _all: true } }),
  ])
  const solutionMap = new Map(solutions.map((s) => [`${s.userId}\u0000${s.courseSlug}/${s.lessonSlug}`, s._count._all]))
  return buildMatrix({
    lessons,
    students,
    progress,
    quizBest: quizBest.map((q) => ({ userId: q.userId, courseSlug: q.courseSlug, lessonSlug: q.lessonSlug, maxScore: q.maxScore, bestScore: q._max.score ?? 0, attempts: q._count._all })),
    exerciseCells: exerciseCells.map((e) => ({
      userId: e.userId,
      courseSlug: e.courseSlug,
      lessonSlug: e.lessonSlug,
      // _count of a nullable column counts the non-null values: the completed exercises.
      completed: e._count.completedAt,
      attempts: e._sum.attempts ?? 0,
      hints: e._sum.hintsRevealed ?? 0,
      solutions: solutionMap.get(`${e.userId}\u0000${e.courseSlug}/${e.lessonSlug}`) ?? 0,
    })),
  })
}

async function loadExercises(classId: string, lessons: LessonColumn[], scope: Scope, locale: Locale): Promise<ExerciseView[]> {
  const db = await getDb()
  const by = ['courseSlug', 'lessonSlug', 'exerciseId'] as const
  const [all, attempted, solutions, { attempts, failures }] = await Promise.all([
    db.exerciseProgress.groupBy({ by: [...by], where: scope, _sum: { attempts: true, hintsRevealed: true }, _count: { completedAt: true } }),
    db.exerciseProgress.groupBy({ by: [...by], where: { ...scope, attempts: { gt: 0 } }, _count: { _all: true } }),
    db.exerciseProgress.groupBy({ by: [...by], where: { ...scope, solutionRevealed: true }, _count: { _all: true } }),
    classAttemptTally(db, classId, scope.userId.in, scope.courseSlug.in),
  ])
  const k = (r: { courseSlug: string; lessonSlug: string; exerciseId: string }) => `${r.courseSlug}/${r.lessonSlug}/${r.exerciseId}`
  const attemptedMap = new Map(attempted.map((r) => [k(r), r._count._all]))
  const solutionMap = new Map(solutions.map((r) => [k(r), r._count._all]))
  const stats = buildExerciseStats({
    lessons,
    classSize: scope.userId.in.length,
    progress: all.map((r) => ({
      courseSlug: r.courseSlug,
      lessonSlug: r.lessonSlug,
      exerciseId: r.exerciseId,
      attempted: attemptedMap.get(k(r)) ?? 0,
      completed: r._count.completedAt,
      attempts: r._sum.attempts ?? 0,
      hints: r._sum.hintsRevealed ?? 0,
      solutions: solutionMap.get(k(r)) ?? 0,
    })),
    attempts,
    failures,
  })
  return stats.map((s) => ({
    ...s,
    topFailures: s.topFailures.map((f) => ({ assertionId: f.assertionId, failures: f.failures, students: f.students, message: assertionMessage(f.sample, f.assertionId, locale) })),
  }))
}

/** Who in the class is working right now, on which lesson and exercise (class courses only). */
async function loadLive(lessons: LessonColumn[], scope: Scope, now = new Date()): Promise<LiveEntry[]> {
  const db = await getDb()
  const rows = await db.presence.findMany({
    where: { ...scope, lastSeenAt: { gte: new Date(now.getTime() - presenceWindowMs) } },
    select: { userId: true, courseSlug: true, lessonSlug: true, exerciseId: true, since: true, lastSeenAt: true, user: { select: { name: true } } },
    orderBy: { since: 'asc' },
  })
  const lessonByKey = new Map(lessons.map((l) => [`${l.courseSlug}/${l.lessonSlug}`, l]))
  return rows
    .filter((r: PresenceRow) => isLive(r, now))
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
      }
    })
}

export async function getClassDashboard(classId: string, user: Pick<SessionUser, 'id' | 'role'>, locale: Locale): Promise<ClassDashboard> {
  const classroom = await requireTeaching(classId, user)
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const lessons = classLessons(courseSlugs)
  const students = await classMembers(classId)
  const scope: Scope = { userId: { in: students.map((s) => s.id) }, courseSlug: { in: courseSlugs } }
  const [matrix, exercises, live] = await Promise.all([loadMatrix(students, lessons, scope), loadExercises(classId, lessons, scope, locale), loadLive(lessons, scope)])
  return { classroom, lessons, matrix, lessonSummaries: summarizeLessons(lessons, matrix), exercises, live, generatedAt: new Date() }
}

export async function getClassPresence(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<LiveEntry[]> {
  const classroom = await requireTeaching(classId, user)
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const db = await getDb()
  const memberIds = (await db.classroomMember.findMany({ where: { classroomId: classId }, select: { userId: true } })).map((m) => m.userId)
  return loadLive(classLessons(courseSlugs), { userId: { in: memberIds }, courseSlug: { in: courseSlugs } })
}

const csvHeaders: Record<Locale, string[]> = {
  fr: ['Nom', 'E-mail', 'Cours', 'Leçon', 'Statut', 'Meilleur quiz (%)', 'Tentatives de quiz', 'Exercices réussis', 'Exercices', 'Vérifications', 'Indices', 'Solutions', 'Temps actif (min)'],
  en: ['Name', 'Email', 'Course', 'Lesson', 'Status', 'Best quiz (%)', 'Quiz attempts', 'Exercises passed', 'Exercises', 'Check runs', 'Hints', 'Solutions', 'Active time (min)'],
}
const statusLabels: Record<Locale, Record<string, string>> = {
  fr: { 'not-started': 'non commencée', 'in-progress': 'en cours', completed: 'terminée' },
  en: { 'not-started': 'not started', 'in-progress': 'in progress', completed: 'completed' },
}

/** One row per student × lesson, for a spreadsheet. */
export async function exportClassCsv(classId: string, user: Pick<SessionUser, 'id' | 'role'>, locale: Locale): Promise<{ filename: string; body: string }> {
  const classroom = await requireTeaching(classId, user)
  const courseSlugs = classroom.courses.map((c) => c.slug)
  const lessons = classLessons(courseSlugs)
  const students = await classMembers(classId)
  const matrix = await loadMatrix(students, lessons, { userId: { in: students.map((s) => s.id) }, courseSlug: { in: courseSlugs } })
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
