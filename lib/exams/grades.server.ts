import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { requireTeaching } from '../classes/classes.server'
import { classLessons, type Locale } from '../classes/dashboard.server'
import { toCsv } from '../classes/aggregate'
import { membersOf } from '../classes/queries.server'
import { getDb } from '../db/client.server'
import type { ExamView } from './api'
import { examViewOf } from './exams.server'
import { buildGradeRows, gradePage, type GradeColumn, type GradePage, type GradeRow } from './grades'

// The class grade sheet. Each stored check run keeps its grade (ExerciseAttempt.score, computed
// when it was stored: lib/progress/grade.ts); the sheet takes each student's best per exercise
// with one grouped query. With an exam set, only the runs in its window count and only its
// lessons are columns; without one, every run and every exercise of the class's courses.
// Outside an exam, a stored live run (a complete re-read of the sandbox, lib/checks/live.server.ts)
// counts for the best grade, as it shows what the sandbox reached; only clicks on "Vérifier" are
// counted as attempts. In an exam, live mode is off (the live route refuses, the panel does not
// offer it), so the grade is the best click on "Vérifier" in the window: a live run stored in
// it could only come from a stream opened before the window began, and must not count.
// lib/exams/review.server.ts still lists such runs, flagged by their trigger.

export type GradeSheet = { exam: ExamView; columns: GradeColumn[]; rows: GradeRow[]; generatedAt: Date }

/** The whole sheet, every student: the CSV export and the tests. */
export async function getGradeSheet(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<GradeSheet & { className: string }> {
  const { page: _page, ...sheet } = await sheetOf(classId, user, null)
  return sheet
}

/**
 * One page of the sheet (gradeSheetPageSize students, in the members' order), for its page:
 * the runs are read for that page's students only, so a page costs the same in any class.
 */
export async function getGradeSheetPage(classId: string, user: Pick<SessionUser, 'id' | 'role'>, requested: number): Promise<GradeSheet & { className: string; page: GradePage }> {
  const sheet = await sheetOf(classId, user, requested)
  return { ...sheet, page: sheet.page! }
}

async function sheetOf(classId: string, user: Pick<SessionUser, 'id' | 'role'>, requestedPage: number | null): Promise<GradeSheet & { className: string; page: GradePage | null }> {
  const classroom = await requireTeaching(classId, user)
  const db = await getDb()
  const examRow = await db.classroom.findUniqueOrThrow({ where: { id: classId }, select: { examStartsAt: true, examEndsAt: true, examLessons: true } })
  const exam = examViewOf(examRow)
  const lessons = classLessons(classroom.courses.map((c) => c.slug)).filter((l) => !exam?.lessons || exam.lessons.includes(l.key))
  const columns: GradeColumn[] = lessons.flatMap((l) =>
    l.exercises.map((e) => ({ courseSlug: l.courseSlug, lessonSlug: l.lessonSlug, exerciseId: e.id, title: e.title, lessonTitle: l.title, courseTitle: l.courseTitle })),
  )
  const members = await membersOf(db, classId)
  const page = requestedPage === null ? null : gradePage(members.length, requestedPage)
  const students = page ? members.slice(page.offset, page.offset + page.size) : members
  const where = {
    userId: { in: students.map((s) => s.id) },
    courseSlug: { in: [...new Set(lessons.map((l) => l.courseSlug))] },
    ...(exam ? { createdAt: { gte: new Date(exam.startsAt), lt: new Date(exam.endsAt) } } : {}),
  }
  const by = ['userId', 'courseSlug', 'lessonSlug', 'exerciseId'] as const
  const [best, attempts] = students.length === 0 || columns.length === 0
    ? [[], []]
    : await Promise.all([
        db.exerciseAttempt.groupBy({ by: [...by], where: exam ? { ...where, trigger: 'manual' } : where, _max: { score: true } }),
        db.exerciseAttempt.groupBy({ by: [...by], where: { ...where, trigger: 'manual' }, _count: { _all: true } }),
      ])
  const runs = [
    ...best.map((r) => ({ userId: r.userId, courseSlug: r.courseSlug, lessonSlug: r.lessonSlug, exerciseId: r.exerciseId, bestScore: r._max.score, attempts: 0 })),
    ...attempts.map((r) => ({ userId: r.userId, courseSlug: r.courseSlug, lessonSlug: r.lessonSlug, exerciseId: r.exerciseId, bestScore: null, attempts: r._count._all })),
  ]
  return { className: classroom.name, exam, columns, rows: buildGradeRows(columns, students, runs), generatedAt: new Date(), page }
}

const headers: Record<Locale, string[]> = {
  fr: ['Nom', 'E-mail', 'Cours', 'Leçon', 'Exercice', 'Meilleure note (%)', 'Vérifications'],
  en: ['Name', 'Email', 'Course', 'Lesson', 'Exercise', 'Best grade (%)', 'Checks'],
}

/** One row per student × exercise, for a spreadsheet; an exercise never run has an empty grade. */
export async function exportGradesCsv(classId: string, user: Pick<SessionUser, 'id' | 'role'>, locale: Locale): Promise<{ filename: string; body: string }> {
  const sheet = await getGradeSheet(classId, user)
  const number = (n: number) => (locale === 'fr' ? String(n).replace('.', ',') : String(n))
  const rows: (string | number | null)[][] = [headers[locale]]
  for (const row of sheet.rows) {
    sheet.columns.forEach((column, i) => {
      const cell = row.cells[i]!
      rows.push([row.student.name, row.student.email, column.courseTitle, column.lessonTitle, column.title, cell.best === null ? null : number(cell.best), cell.attempts])
    })
  }
  const date = new Date().toISOString().slice(0, 10)
  const slug = sheet.className.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'classe'
  return { filename: `${slug}-notes-${date}.csv`, body: toCsv(rows, locale === 'fr' ? ';' : ',') }
}
