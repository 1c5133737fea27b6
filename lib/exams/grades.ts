import { gradePercent } from '../progress/grade'

// The class grade sheet, pure: one row per student, one column per exercise, each cell the
// student's best grade over the runs that count (those in the exam's window when an exam is
// set) and their attempts. Browser-safe (the dashboard renders it).

export type GradeColumn = { courseSlug: string; lessonSlug: string; exerciseId: string; title: string; lessonTitle: string; courseTitle: string }
export type GradeRun = { userId: string; courseSlug: string; lessonSlug: string; exerciseId: string; bestScore: number | null; attempts: number }
/** best: 0 to 100 with one decimal; null when the student has no stored run of the exercise. */
export type GradeCell = { best: number | null; attempts: number }
export type GradeRow = { student: { id: string; name: string; email: string }; cells: GradeCell[]; /** Mean of the cells, a missing grade counting 0; null without columns. */ average: number | null }

const keyOf = (r: { courseSlug: string; lessonSlug: string; exerciseId: string }) => `${r.courseSlug}/${r.lessonSlug}/${r.exerciseId}`

export function buildGradeRows(columns: readonly GradeColumn[], students: readonly { id: string; name: string; email: string }[], runs: readonly GradeRun[]): GradeRow[] {
  const byStudent = new Map<string, Map<string, GradeRun>>()
  for (const run of runs) {
    const mine = byStudent.get(run.userId) ?? new Map<string, GradeRun>()
    const key = keyOf(run)
    const seen = mine.get(key)
    // Two rows for one cell (a best score from one query, attempts from another): merged.
    mine.set(key, seen ? { ...seen, bestScore: Math.max(seen.bestScore ?? 0, run.bestScore ?? 0), attempts: seen.attempts + run.attempts } : run)
    byStudent.set(run.userId, mine)
  }
  return students.map((student) => {
    const mine = byStudent.get(student.id)
    const cells = columns.map((column): GradeCell => {
      const run = mine?.get(keyOf(column))
      return { best: run?.bestScore === null || run?.bestScore === undefined ? null : gradePercent(run.bestScore), attempts: run?.attempts ?? 0 }
    })
    const average = cells.length === 0 ? null : Math.round((cells.reduce((sum, c) => sum + (c.best ?? 0), 0) / cells.length) * 10) / 10
    return { student: { id: student.id, name: student.name, email: student.email }, cells, average }
  })
}

/**
 * Students per page of the grade sheet (its own page, /teach/classes/<id>/grades): with 76
 * exercises a student's row is about 10 kB of HTML and flight data, so a class of 300 on one
 * page was megabytes (the dashboard benchmark's class). 40 keeps most classes on one page; the
 * CSV export has every row.
 */
export const gradeSheetPageSize = 40

/** Which students a page of the sheet shows: `page` and `pages` count from 1, `offset` from 0. */
export type GradePage = { page: number; pages: number; size: number; students: number; offset: number }

/** The page `requested` of a sheet of `students` rows, brought into range (a page past the end is the last one). */
export function gradePage(students: number, requested: number, size = gradeSheetPageSize): GradePage {
  const pages = Math.max(1, Math.ceil(students / size))
  const page = Number.isSafeInteger(requested) ? Math.min(Math.max(requested, 1), pages) : 1
  return { page, pages, size, students, offset: (page - 1) * size }
}
