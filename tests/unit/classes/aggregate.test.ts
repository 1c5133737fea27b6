import { describe, expect, it } from 'vitest'
import { buildExerciseStats, buildMatrix, isLive, percent, rankFailures, stuckExercises, summarizeLessons, toCsv, type FailureRow, type LessonColumn } from '@/lib/classes/aggregate'
import { failedAssertions, runFailures } from '@/lib/progress/exercise-rules'
import { emptyTally, foldAttempt, tallyRows } from '../../support/attempt-recount'

const lessons: LessonColumn[] = [
  { key: 'demo/lecture', courseSlug: 'demo', lessonSlug: 'lecture', title: 'Lecture', courseTitle: 'Démo', hasQuiz: false, quizPassingScore: null, exercises: [] },
  { key: 'demo/quiz', courseSlug: 'demo', lessonSlug: 'quiz', title: 'Quiz', courseTitle: 'Démo', hasQuiz: true, quizPassingScore: 70, exercises: [] },
  {
    key: 'demo/labo',
    courseSlug: 'demo',
    lessonSlug: 'labo',
    title: 'Labo',
    courseTitle: 'Démo',
    hasQuiz: false,
    quizPassingScore: null,
    exercises: [
      { id: 'reseau', title: 'Réseau' },
      { id: 'conteneur', title: 'Conteneur' },
    ],
  },
]
const joinedAt = new Date('2026-01-05T08:00:00Z')
const students = [
  { id: 'ana', name: 'Ana', email: 'ana@x.test', joinedAt },
  { id: 'bo', name: 'Bo', email: 'bo@x.test', joinedAt },
  { id: 'cy', name: 'Cy', email: 'cy@x.test', joinedAt },
]
const t = (minutes: number) => new Date(Date.UTC(2026, 0, 5, 9, minutes))

describe('matrix', () => {
  const matrix = buildMatrix({
    lessons,
    students,
    progress: [
      { userId: 'ana', courseSlug: 'demo', lessonSlug: 'lecture', completedAt: t(5), activeSeconds: 300, lastSeenAt: t(5) },
      { userId: 'ana', courseSlug: 'demo', lessonSlug: 'quiz', completedAt: t(20), activeSeconds: 600, lastSeenAt: t(20) },
      { userId: 'ana', courseSlug: 'demo', lessonSlug: 'labo', completedAt: null, activeSeconds: 900, lastSeenAt: t(40) },
      { userId: 'bo', courseSlug: 'demo', lessonSlug: 'quiz', completedAt: null, activeSeconds: 120, lastSeenAt: t(3) },
      // A row of a lesson that is no longer in the class's courses is ignored.
      { userId: 'bo', courseSlug: 'other', lessonSlug: 'x', completedAt: t(1), activeSeconds: 999, lastSeenAt: t(59) },
    ],
    quizBest: [
      { userId: 'ana', courseSlug: 'demo', lessonSlug: 'quiz', maxScore: 5, bestScore: 4, attempts: 2 },
      // The quiz grew from 4 to 5 questions: the best percentage over both sizes wins.
      { userId: 'ana', courseSlug: 'demo', lessonSlug: 'quiz', maxScore: 4, bestScore: 4, attempts: 1 },
      { userId: 'bo', courseSlug: 'demo', lessonSlug: 'quiz', maxScore: 5, bestScore: 1, attempts: 1 },
    ],
    exerciseCells: [
      { userId: 'ana', courseSlug: 'demo', lessonSlug: 'labo', completed: 1, attempts: 7, hints: 2, solutions: 0 },
      // Three completed exercises in a lesson that now has two: capped.
      { userId: 'cy', courseSlug: 'demo', lessonSlug: 'labo', completed: 3, attempts: 3, hints: 0, solutions: 1 },
    ],
  })

  it('has one row per student and one cell per lesson, in order', () => {
    expect(matrix.map((r) => r.student.id)).toEqual(['ana', 'bo', 'cy'])
    expect(matrix.every((r) => r.cells.length === lessons.length)).toBe(true)
  })

  it('reads status, best quiz percentage, exercises completed and time', () => {
    const [ana, bo, cy] = matrix
    expect(ana!.cells.map((c) => c.status)).toEqual(['completed', 'completed', 'in-progress'])
    expect(ana!.cells[1]).toMatchObject({ bestQuizPercent: 100, quizAttempts: 3 })
    expect(ana!.cells[2]).toMatchObject({ exercisesCompleted: 1, exerciseAttempts: 7, hintsRevealed: 2, activeSeconds: 900 })
    expect(ana).toMatchObject({ completedLessons: 2, activeSeconds: 1800, lastSeenAt: t(40) })
    expect(bo!.cells.map((c) => c.status)).toEqual(['not-started', 'in-progress', 'not-started'])
    expect(bo!.cells[1]!.bestQuizPercent).toBe(20)
    expect(bo).toMatchObject({ completedLessons: 0, activeSeconds: 120, lastSeenAt: t(3) })
    // Exercise work without a progress row still counts as started; completion is capped.
    expect(cy!.cells[2]).toMatchObject({ status: 'in-progress', exercisesCompleted: 2, solutionsRevealed: 1 })
    expect(cy!.cells[0]).toMatchObject({ status: 'not-started', bestQuizPercent: null, exercisesCompleted: 0 })
  })

  it('summarizes each lesson over the class', () => {
    expect(summarizeLessons(lessons, matrix)).toEqual([
      { key: 'demo/lecture', completed: 1, inProgress: 0, notStarted: 2, averageQuizPercent: null },
      { key: 'demo/quiz', completed: 1, inProgress: 1, notStarted: 1, averageQuizPercent: 60 },
      { key: 'demo/labo', completed: 0, inProgress: 2, notStarted: 1, averageQuizPercent: null },
    ])
  })
})

const failure = (exerciseId: string, assertionId: string, failures: number, studentCount: number): FailureRow => ({
  courseSlug: 'demo',
  lessonSlug: 'labo',
  exerciseId,
  assertionId,
  failures,
  students: studentCount,
  sample: { id: assertionId },
})

describe('most-failed assertions', () => {
  it('ranks by students stopped, then failures, then id; keeps the top few per exercise', () => {
    const ranked = rankFailures(
      [
        failure('reseau', 'network:demo-net:exists', 40, 2),
        failure('reseau', 'network:demo-net:driver', 6, 5),
        failure('reseau', 'network:demo-net:subnet', 9, 5),
        failure('reseau', 'network:demo-net:internal', 9, 5),
        failure('conteneur', 'container:web:running', 1, 1),
      ],
      3,
    )
    expect(ranked.get('demo/labo/reseau')!.map((f) => f.assertionId)).toEqual(['network:demo-net:internal', 'network:demo-net:subnet', 'network:demo-net:driver'])
    expect(ranked.get('demo/labo/conteneur')!.map((f) => f.assertionId)).toEqual(['container:web:running'])
  })
})

describe('exercise statistics', () => {
  const stats = buildExerciseStats({
    lessons,
    classSize: 3,
    progress: [{ courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', attempted: 3, completed: 2, attempts: 11, passedAttempts: 2, hints: 4, solutions: 1 }],
    failures: [failure('reseau', 'network:demo-net:exists', 5, 2), failure('reseau', 'network:demo-net:driver', 4, 3)],
  })

  it('gives every exercise of the class, with success rate by student and by run', () => {
    expect(stats.map((s) => s.key)).toEqual(['demo/labo/reseau', 'demo/labo/conteneur'])
    expect(stats[0]).toMatchObject({
      title: 'Réseau',
      classSize: 3,
      attempted: 3,
      completed: 2,
      successRate: 67,
      attempts: 11,
      passedAttempts: 2,
      attemptPassRate: 18,
      hintsRevealed: 4,
      solutionsRevealed: 1,
    })
    expect(stats[0]!.topFailures.map((f) => f.assertionId)).toEqual(['network:demo-net:driver', 'network:demo-net:exists'])
  })

  it('has no success rate for an exercise nobody tried (not 0 %)', () => {
    expect(stats[1]).toMatchObject({ attempted: 0, completed: 0, successRate: null, attemptPassRate: null, topFailures: [] })
  })

  it('puts the exercises where most students are blocked first', () => {
    expect(stuckExercises(stats).map((s) => s.exerciseId)).toEqual(['reseau'])
  })

  it('rounds percentages and never divides by zero', () => {
    expect(percent(1, 3)).toBe(33)
    expect(percent(2, 3)).toBe(67)
    expect(percent(0, 0)).toBeNull()
  })
})

describe('presence', () => {
  it('counts a learner as present within two missed heartbeats', () => {
    const now = t(30)
    expect(isLive({ lastSeenAt: new Date(now.getTime() - 60_000) }, now)).toBe(true)
    expect(isLive({ lastSeenAt: new Date(now.getTime() - 120_000) }, now)).toBe(false)
  })
})

describe('CSV', () => {
  it('starts with a BOM, quotes what needs it, ends lines with CRLF, and defuses formulas', () => {
    const csv = toCsv(
      [
        ['Nom', 'Leçon', 'Score'],
        ['Zoé "Z" Durand', 'Réseaux; DNS', 80],
        ['=HYPERLINK("http://x")', '+1', -5],
        ['', null, 0],
      ],
      ';',
    )
    expect(csv.startsWith('\uFEFF')).toBe(true)
    expect(csv.slice(1).split('\r\n')).toEqual(['Nom;Leçon;Score', '"Zoé ""Z"" Durand";"Réseaux; DNS";80', `"'=HYPERLINK(""http://x"")";'+1;-5`, ';;0', ''])
  })
})

describe('attempt tally', () => {
  const run = (userId: string, passed: boolean, assertions: unknown, minute: number) => ({
    userId,
    courseSlug: 'demo',
    lessonSlug: 'labo',
    exerciseId: 'reseau',
    passed,
    createdAt: t(minute),
    assertions,
  })
  const failing = (id: string, key = 'network.exists.missing') => ({ id, check: 0, passed: false, key, params: {} })

  it('counts failed assertions only: not passed ones, not pending ones, not malformed ones', () => {
    expect(
      failedAssertions([failing('a'), { id: 'b', passed: true }, { id: 'c', passed: false, pending: true }, { passed: false }, 'x', null]).map((f) => f.id),
    ).toEqual(['a'])
    expect(failedAssertions({ not: 'an array' })).toEqual([])
  })

  it('folds runs into runs per exercise and failures per assertion, keeping the latest message', () => {
    const tally = emptyTally()
    foldAttempt(tally, run('ana', false, [failing('a', 'old'), failing('b')], 1))
    foldAttempt(tally, run('ana', false, [failing('a', 'new')], 3))
    foldAttempt(tally, run('bo', false, [failing('a', 'older')], 2))
    foldAttempt(tally, run('bo', true, [{ id: 'a', passed: true }], 4))
    const rows = tallyRows(tally)
    expect(rows.attempts).toEqual([
      { courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', passed: true, count: 1 },
      { courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', passed: false, count: 3 },
    ])
    expect(rows.failures.map((f) => [f.assertionId, f.failures, f.students, (f.sample as { key: string }).key])).toEqual([
      ['a', 3, 2, 'new'],
      ['b', 1, 1, 'network.exists.missing'],
    ])
  })

  it('adds to a learner, per run, what folding the run adds: per assertion id, in id order, the last occurrence as sample', () => {
    const assertions = [failing('b', 'first'), { id: 'a', passed: true }, failing('c', 'x'), { id: 'd', passed: false, pending: true }, failing('b', 'second')]
    expect(runFailures(false, assertions)).toEqual([
      { assertionId: 'b', count: 2, sample: failing('b', 'second') },
      { assertionId: 'c', count: 1, sample: failing('c', 'x') },
    ])
    // A passed run counts no failure, whatever its assertions say; so does folding it.
    expect(runFailures(true, assertions)).toEqual([])
    expect(runFailures(false, 'not an array')).toEqual([])
    const tally = emptyTally()
    foldAttempt(tally, run('ana', false, assertions, 1))
    foldAttempt(tally, run('ana', true, assertions, 2))
    expect(tallyRows(tally).failures.map((f) => [f.assertionId, f.failures, (f.sample as { key: string }).key])).toEqual(
      runFailures(false, assertions).map((f) => [f.assertionId, f.count, (f.sample as { key: string }).key]),
    )
  })
})
