import type { LessonStatus } from '../progress/rules'
import type { LiveEntry } from './schemas'

// The class dashboard's arithmetic. Pure: the database layer aggregates in SQL (grouped
// statements over counts kept at write time) and hands over small rows; these functions shape
// them into the matrix, the per-exercise statistics and the ranking of failing assertions.

export type LessonColumn = {
  key: string
  courseSlug: string
  lessonSlug: string
  title: string
  courseTitle: string
  hasQuiz: boolean
  quizPassingScore: number | null
  exercises: { id: string; title: string }[]
}

export type StudentInfo = { id: string; name: string; email: string; joinedAt: Date }

export type ProgressRow = { userId: string; courseSlug: string; lessonSlug: string; completedAt: Date | null; activeSeconds: number; lastSeenAt: Date }
/** Best score per learner, lesson and quiz size (a quiz edited to more questions gives a second row). */
export type QuizBestRow = { userId: string; courseSlug: string; lessonSlug: string; maxScore: number; bestScore: number; attempts: number }
export type ExerciseCellRow = { userId: string; courseSlug: string; lessonSlug: string; completed: number; attempts: number; hints: number; solutions: number }

export type Cell = {
  status: LessonStatus
  bestQuizPercent: number | null
  quizAttempts: number
  exercisesCompleted: number
  exerciseAttempts: number
  hintsRevealed: number
  solutionsRevealed: number
  activeSeconds: number
}

export type MatrixRow = {
  student: StudentInfo
  cells: Cell[]
  completedLessons: number
  activeSeconds: number
  lastSeenAt: Date | null
}

export const percent = (part: number, whole: number): number | null => (whole <= 0 ? null : Math.round((part / whole) * 100))

export const emptyCell = (): Cell => ({
  status: 'not-started',
  bestQuizPercent: null,
  quizAttempts: 0,
  exercisesCompleted: 0,
  exerciseAttempts: 0,
  hintsRevealed: 0,
  solutionsRevealed: 0,
  activeSeconds: 0,
})

/**
 * Rows placed by learner and lesson: per learner, one slot per lesson column. Rows of lessons
 * that are not columns (a course's lesson removed from the content) are dropped. Lookups go
 * by learner id, then course and lesson slugs, without building a key string per row: a class
 * of 300 learners and 20 lessons has some 15,000 rows to place on every look.
 */
function placeRows<T extends { userId: string; courseSlug: string; lessonSlug: string }>(
  lessons: readonly LessonColumn[],
  rows: readonly T[],
  place: (slots: (T | undefined)[], column: number, row: T) => void,
): Map<string, (T | undefined)[]> {
  const columns = new Map<string, Map<string, number>>()
  lessons.forEach((l, i) => {
    const inCourse = columns.get(l.courseSlug) ?? new Map<string, number>()
    inCourse.set(l.lessonSlug, i)
    columns.set(l.courseSlug, inCourse)
  })
  const byUser = new Map<string, (T | undefined)[]>()
  for (const row of rows) {
    const column = columns.get(row.courseSlug)?.get(row.lessonSlug)
    if (column === undefined) continue
    let slots = byUser.get(row.userId)
    if (!slots) byUser.set(row.userId, (slots = new Array<T | undefined>(lessons.length)))
    place(slots, column, row)
  }
  return byUser
}

const keepRow = <T>(slots: (T | undefined)[], column: number, row: T) => {
  slots[column] = row
}

/**
 * Students × lessons. A cell's status comes from the lesson's progress row (none: not
 * started); its quiz score is the best percentage over every attempt; exercises completed
 * are capped by the lesson's current exercise count (an exercise removed from the content
 * does not make a cell read 3/2).
 */
export function buildMatrix(input: {
  lessons: LessonColumn[]
  students: StudentInfo[]
  progress: ProgressRow[]
  quizBest: QuizBestRow[]
  exerciseCells: ExerciseCellRow[]
}): MatrixRow[] {
  const progress = placeRows(input.lessons, input.progress, keepRow)
  const exercises = placeRows(input.lessons, input.exerciseCells, keepRow)
  // One row per quiz size: the best percentage over them, the attempts summed.
  type QuizCell = { userId: string; courseSlug: string; lessonSlug: string; best: number; attempts: number }
  const quiz = placeRows<QuizCell>(
    input.lessons,
    input.quizBest.map((r) => ({ userId: r.userId, courseSlug: r.courseSlug, lessonSlug: r.lessonSlug, best: percent(r.bestScore, r.maxScore) ?? 0, attempts: r.attempts })),
    (slots, column, row) => {
      const entry = slots[column]
      if (!entry) slots[column] = row
      else {
        entry.best = Math.max(entry.best, row.best)
        entry.attempts += row.attempts
      }
    },
  )
  const none: undefined[] = []

  return input.students.map((student) => {
    let lastSeenAt: Date | null = null
    let activeSeconds = 0
    let completedLessons = 0
    const ps = progress.get(student.id) ?? none
    const qs = quiz.get(student.id) ?? none
    const es = exercises.get(student.id) ?? none
    const cells = input.lessons.map((lesson, i) => {
      const p = ps[i]
      const q = qs[i]
      const e = es[i]
      const status: LessonStatus = p ? (p.completedAt ? 'completed' : 'in-progress') : q || e ? 'in-progress' : 'not-started'
      if (status === 'completed') completedLessons++
      if (p) {
        activeSeconds += p.activeSeconds
        if (!lastSeenAt || p.lastSeenAt > lastSeenAt) lastSeenAt = p.lastSeenAt
      }
      return {
        status,
        bestQuizPercent: q ? q.best : null,
        quizAttempts: q?.attempts ?? 0,
        exercisesCompleted: Math.min(e?.completed ?? 0, lesson.exercises.length),
        exerciseAttempts: e?.attempts ?? 0,
        hintsRevealed: e?.hints ?? 0,
        solutionsRevealed: e?.solutions ?? 0,
        activeSeconds: p?.activeSeconds ?? 0,
      }
    })
    return { student, cells, completedLessons, activeSeconds, lastSeenAt }
  })
}

export type LessonSummary = { key: string; completed: number; inProgress: number; notStarted: number; averageQuizPercent: number | null }

/** Per lesson: how many students finished, are on it, have not opened it. */
export function summarizeLessons(lessons: LessonColumn[], matrix: MatrixRow[]): LessonSummary[] {
  return lessons.map((lesson, i) => {
    let completed = 0
    let inProgress = 0
    let quizTotal = 0
    let quizCount = 0
    for (const row of matrix) {
      const cell = row.cells[i]!
      if (cell.status === 'completed') completed++
      else if (cell.status === 'in-progress') inProgress++
      if (cell.bestQuizPercent !== null) {
        quizTotal += cell.bestQuizPercent
        quizCount++
      }
    }
    return {
      key: lesson.key,
      completed,
      inProgress,
      notStarted: matrix.length - completed - inProgress,
      averageQuizPercent: quizCount === 0 ? null : Math.round(quizTotal / quizCount),
    }
  })
}

// ---------------------------------------------------------------- exercises

/** ExerciseProgress aggregated per exercise over the class's students. */
export type ExerciseProgressAgg = {
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  attempted: number
  completed: number
  /** Attempts (clicks on "Vérifier"; live runs are not attempts), and attempts that passed (ExerciseProgress.attempts and passedAttempts). */
  attempts: number
  passedAttempts: number
  hints: number
  solutions: number
}
/** ExerciseAttempt counted per exercise and outcome. */
export type AttemptAgg = { courseSlug: string; lessonSlug: string; exerciseId: string; passed: boolean; count: number }
/** One failing assertion of one exercise: how often it failed, for how many students, and its latest message. */
export type FailureRow = {
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  assertionId: string
  failures: number
  students: number
  /** The assertion as stored in the latest failing attempt (key and params of its message). */
  sample: unknown
}

export type ExerciseStats = {
  key: string
  courseSlug: string
  lessonSlug: string
  lessonTitle: string
  exerciseId: string
  title: string
  classSize: number
  /** Students who checked it at least once, or completed it (a live pass completes without an attempt). */
  attempted: number
  completed: number
  /** completed / attempted, in percent; null when nobody tried yet. */
  successRate: number | null
  attempts: number
  passedAttempts: number
  /** passed runs / runs, in percent. */
  attemptPassRate: number | null
  hintsRevealed: number
  solutionsRevealed: number
  topFailures: FailureRow[]
}

export const exerciseKey = (courseSlug: string, lessonSlug: string, exerciseId: string) => `${courseSlug}/${lessonSlug}/${exerciseId}`

/**
 * The assertions that fail most often, per exercise: ranked by how many students they
 * stop (one student re-running a check twenty times should not outweigh five students
 * stuck once), then by failures, then by id so the order is stable.
 */
export function rankFailures(rows: FailureRow[], limit = 3): Map<string, FailureRow[]> {
  const byExercise = new Map<string, FailureRow[]>()
  for (const row of rows) {
    const key = exerciseKey(row.courseSlug, row.lessonSlug, row.exerciseId)
    const list = byExercise.get(key) ?? []
    list.push(row)
    byExercise.set(key, list)
  }
  for (const [key, list] of byExercise) {
    list.sort((a, b) => b.students - a.students || b.failures - a.failures || a.assertionId.localeCompare(b.assertionId))
    byExercise.set(key, list.slice(0, limit))
  }
  return byExercise
}

export function buildExerciseStats(input: {
  lessons: LessonColumn[]
  classSize: number
  progress: ExerciseProgressAgg[]
  failures: FailureRow[]
  topFailures?: number
}): ExerciseStats[] {
  const progress = new Map(input.progress.map((p) => [exerciseKey(p.courseSlug, p.lessonSlug, p.exerciseId), p]))
  const ranked = rankFailures(input.failures, input.topFailures ?? 3)
  return input.lessons.flatMap((lesson) =>
    lesson.exercises.map((exercise) => {
      const key = exerciseKey(lesson.courseSlug, lesson.lessonSlug, exercise.id)
      const p = progress.get(key)
      const runs = p?.attempts ?? 0
      const passedRuns = p?.passedAttempts ?? 0
      const attempted = p?.attempted ?? 0
      const completed = p?.completed ?? 0
      return {
        key,
        courseSlug: lesson.courseSlug,
        lessonSlug: lesson.lessonSlug,
        lessonTitle: lesson.title,
        exerciseId: exercise.id,
        title: exercise.title,
        classSize: input.classSize,
        attempted,
        completed,
        successRate: percent(completed, attempted),
        attempts: runs,
        passedAttempts: passedRuns,
        attemptPassRate: percent(passedRuns, runs),
        hintsRevealed: p?.hints ?? 0,
        solutionsRevealed: p?.solutions ?? 0,
        topFailures: ranked.get(key) ?? [],
      }
    }),
  )
}

/**
 * Where the class is stuck: exercises that students tried and did not all finish, the most
 * students still blocked first. Tried means an attempt (or a completion): a learner whose only
 * runs are live ones, run while she reads, is not stuck.
 */
export function stuckExercises<T extends Pick<ExerciseStats, 'attempted' | 'completed' | 'successRate'>>(stats: T[], limit = 5): T[] {
  return stats
    .filter((s) => s.attempted > s.completed)
    .sort((a, b) => b.attempted - b.completed - (a.attempted - a.completed) || (a.successRate ?? 0) - (b.successRate ?? 0))
    .slice(0, limit)
}

// ---------------------------------------------------------------- presence

export type PresenceRow = { userId: string; courseSlug: string; lessonSlug: string; exerciseId: string | null; since: Date; lastSeenAt: Date }

/** One learner at work now, as the dashboard shows it (serialisable: sent to the browser). */
export type { LiveEntry }

/** Heartbeats come every 30 s; a learner missing two of them has left. */
export const presenceWindowMs = 75_000

export function isLive(row: Pick<PresenceRow, 'lastSeenAt'>, now: Date): boolean {
  return now.getTime() - row.lastSeenAt.getTime() <= presenceWindowMs
}

// ---------------------------------------------------------------- CSV

/** Cells a spreadsheet would run as a formula ("=HYPERLINK(...)" typed as a name) are prefixed with a quote. */
function csvCell(value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[";,\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads accents right), CRLF
 * line ends, and the separator Excel expects in the reader's locale (";" in French, "," in
 * English).
 */
export function toCsv(rows: (string | number | null)[][], delimiter: ';' | ','): string {
  return '\uFEFF' + rows.map((row) => row.map(csvCell).join(delimiter)).join('\r\n') + '\r\n'
}
