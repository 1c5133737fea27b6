import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import type { SessionUser } from '../../../lib/auth/session.server'
import { getDb } from '../../../lib/db/client.server'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'
import type * as ExamRoute from '../../../app/api/classes/[id]/exam/route'
import type * as GradesRoute from '../../../app/api/classes/[id]/grades/export/route'
import type * as CheckRoute from '../../../app/api/exercises/check/route'
import type * as HintRoute from '../../../app/api/exercises/hint/route'
import type * as LiveRoute from '../../../app/api/sandboxes/[sandboxId]/live/route'
import type * as SolutionRoute from '../../../app/api/exercises/solution/route'
import type * as SessionModule from '../../../lib/auth/session.server'
import type * as ExamsModule from '../../../lib/exams/exams.server'
import type * as GradesModule from '../../../lib/exams/grades.server'
import type * as ReviewModule from '../../../lib/exams/review.server'
import type * as ProgressModule from '../../../lib/progress/exercises.server'

// Exam mode and grades through the real route handlers, on a real (migrated, throwaway) SQLite
// database and a real sandbox: only the session lookup is replaced (a route handler outside Next
// has no request to read a cookie from), by a user the test chooses for each call.

process.env.QUAI_CONTENT_DIR = path.join(import.meta.dirname, '..', 'checks', 'fixtures', 'content')
withTestNamespace('exams')

const session = vi.hoisted(() => ({ user: null as SessionUser | null }))
vi.mock('../../../lib/auth/session.server', async (importOriginal) => {
  const actual = await importOriginal<typeof SessionModule>()
  return {
    ...actual,
    requireApiUser: async (role?: string) => {
      if (!session.user) throw new actual.AuthError(401, 'sign-in required')
      if (role === 'instructor' && session.user.role !== 'instructor') throw new actual.AuthError(403, 'instructors only')
      return session.user
    },
  }
})
vi.mock('../../../lib/classes/locale.server', () => ({ readerLocale: async () => 'fr' }))

type Routes = { exam: typeof ExamRoute; hint: typeof HintRoute; solution: typeof SolutionRoute; check: typeof CheckRoute; grades: typeof GradesRoute; live: typeof LiveRoute }
let routes: Routes
let exams: typeof ExamsModule
let progress: typeof ProgressModule
let sheet: typeof GradesModule
let review: typeof ReviewModule

const who = (id: string, role: 'student' | 'instructor' = 'student'): SessionUser => ({ id, role, name: id, email: `${id}@test.quai.invalid` })
const teacher = who('ex-teach', 'instructor')
const otherTeacher = who('ex-other-teach', 'instructor')
const ada = who('ex-ada') // in the class that sits the exam
const bob = who('ex-bob') // in another class, on the same course
const lesson = { courseSlug: 'checks-lab', lessonSlug: 'live' }
let classId = ''
let sandboxId = ''

const body = (method: string, json?: unknown) =>
  new Request('http://localhost/api', { method, ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }) })
const params = () => ({ params: Promise.resolve({ id: classId }) })
async function as<T>(user: SessionUser, call: () => Promise<Response>): Promise<{ status: number; json: T }> {
  session.user = user
  const response = await call()
  const text = await response.text()
  return { status: response.status, json: (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T }
}
type Refusal = { error: { code: string; fields?: { field: string }[] } }
const putExam = (user: SessionUser, json: unknown) => as<{ exam: unknown } & Refusal>(user, () => routes.exam.PUT(body('PUT', json), params()))
const hint = (user: SessionUser, index = 0) => as<{ hints: string[] } & Refusal>(user, () => routes.hint.POST(body('POST', { ...lesson, exerciseId: 'network-and-member', index })))
const solution = (user: SessionUser) => as<{ solution: string } & Refusal>(user, () => routes.solution.POST(body('POST', { ...lesson, exerciseId: 'network-and-member' })))
const check = () =>
  as<{ result: { assertions: { check: number; passed: boolean }[] }; attempt: { attempts: number } }>(ada, () =>
    routes.check.POST(body('POST', { ...lesson, exerciseId: 'network-and-member', sandboxId })),
  )
/** Opens Ada's live stream on the exam's lesson: its status and content type; an opened stream is closed at once. */
async function openLive(): Promise<{ status: number; type: string | null; json: unknown }> {
  session.user = ada
  const abort = new AbortController()
  const query = new URLSearchParams({ ...lesson, exerciseId: 'network-and-member' })
  const response = await routes.live.GET(new Request(`http://localhost/api/sandboxes/${sandboxId}/live?${query}`, { signal: abort.signal }), { params: Promise.resolve({ sandboxId }) })
  const type = response.headers.get('content-type')
  const json: unknown = type?.includes('json') ? await response.json() : null
  abort.abort()
  await response.body?.cancel().catch(() => {})
  return { status: response.status, type, json }
}
const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString()
const sh = async (script: string) => {
  const r = await execInNode(sandboxId, 'node1', ['bash', '-c', script], { timeoutMs: 120_000 })
  expect(r.exitCode, r.stderr).toBe(0)
}

beforeAll(async () => {
  routes = {
    exam: await import('../../../app/api/classes/[id]/exam/route'),
    hint: await import('../../../app/api/exercises/hint/route'),
    solution: await import('../../../app/api/exercises/solution/route'),
    check: await import('../../../app/api/exercises/check/route'),
    grades: await import('../../../app/api/classes/[id]/grades/export/route'),
    live: await import('../../../app/api/sandboxes/[sandboxId]/live/route'),
  }
  exams = await import('../../../lib/exams/exams.server')
  progress = await import('../../../lib/progress/exercises.server')
  sheet = await import('../../../lib/exams/grades.server')
  review = await import('../../../lib/exams/review.server')
  for (const u of [teacher, otherTeacher, ada, bob]) await createUser(u.id)
  const db = await getDb()
  await db.user.updateMany({ where: { id: { in: [teacher.id, otherTeacher.id] } }, data: { role: 'instructor' } })
  const make = async (name: string, members: string[]) =>
    db.classroom.create({
      data: {
        name,
        joinCode: `EX${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
        courses: { create: [{ courseSlug: 'checks-lab' }] },
        instructors: { create: [{ userId: teacher.id }] },
        members: { create: members.map((userId) => ({ userId })) },
      },
    })
  // otherTeacher joined as a student before being made an instructor: a member, never in an exam.
  classId = (await make('Épreuve A', [ada.id, otherTeacher.id])).id
  await make('Autre classe', [bob.id])
  sandboxId = (await openSandbox(ada.id, { lessonKey: 'checks-lab/live' })).id
  await sh('mkdir -p /root/lab/live')
}, 300_000)

afterAll(() => cleanUpNamespace(), 120_000)

describe.sequential('exam mode and grades through the APIs', () => {
  test('a student can never set, change, read or end exam mode; nor an instructor of another class', async () => {
    const window = { startsAt: minutes(-1), endsAt: minutes(60) }
    for (const student of [ada, bob]) {
      expect((await putExam(student, window)).status).toBe(403)
      expect((await as(student, () => routes.exam.DELETE(body('DELETE'), params()))).status).toBe(403)
      expect((await as(student, () => routes.exam.GET(body('GET'), params()))).status).toBe(403)
      expect((await as(student, () => routes.grades.GET(body('GET'), params()))).status).toBe(403)
    }
    const other = await putExam(otherTeacher, window)
    expect([other.status, other.json.error.code]).toEqual([403, 'not_class_instructor'])
    const db = await getDb()
    expect(await db.classroom.findUniqueOrThrow({ where: { id: classId }, select: { examStartsAt: true, examEndsAt: true } })).toEqual({ examStartsAt: null, examEndsAt: null })
    // Nothing stops a student's help when no exam is set.
    expect((await hint(ada)).status).toBe(200)
  })

  test("the instructor's input is validated: 422 with the fields", async () => {
    const bad = async (json: unknown) => {
      const answer = await putExam(teacher, json)
      return [answer.status, answer.json.error.code, answer.json.error.fields?.map((f) => f.field) ?? null]
    }
    expect(await bad({ startsAt: minutes(60), endsAt: minutes(1) })).toEqual([422, 'invalid_input', ['endsAt']])
    expect(await bad({ startsAt: 'tomorrow', endsAt: minutes(60) })).toEqual([422, 'invalid_input', ['startsAt']])
    expect(await bad({ startsAt: minutes(-1), endsAt: minutes(60), everyone: true })).toEqual([422, 'invalid_input', ['everyone']])
    expect(await bad({ startsAt: minutes(-1), endsAt: minutes(60), lessons: ['checks-lab/nope'] })).toEqual([422, 'exam_lesson_not_in_class', null])
    expect(await bad({ startsAt: minutes(-60), endsAt: minutes(-1) })).toEqual([422, 'exam_already_over', null])
  })

  test('an exam to come changes nothing yet', async () => {
    expect((await putExam(teacher, { startsAt: minutes(30), endsAt: minutes(90) })).status).toBe(200)
    expect(await exams.activeExamFor(ada, lesson.courseSlug, lesson.lessonSlug)).toBeNull()
    expect((await hint(ada, 1)).json.hints).toHaveLength(2)
  })

  test('a live stream opened before the window ends when the exam begins, and is refused from then on', async () => {
    exams.setExamWatchMsForTests(200)
    try {
      session.user = ada
      const query = new URLSearchParams({ ...lesson, exerciseId: 'network-and-member' })
      const response = await routes.live.GET(new Request(`http://localhost/api/sandboxes/${sandboxId}/live?${query}`), { params: Promise.resolve({ sandboxId }) })
      expect(response.status).toBe(200)
      const reader = response.body!.getReader()
      // Open (the first events arrive), until the instructor's exam begins.
      expect((await reader.read()).done).toBe(false)
      expect((await putExam(teacher, { startsAt: minutes(-1), endsAt: minutes(60), lessons: ['checks-lab/live'] })).status).toBe(200)
      const closed = (async () => {
        for (;;) if ((await reader.read()).done) return true
      })()
      expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r(false), 10_000))])).toBe(true)
      const again = await openLive()
      expect([again.status, (again.json as Refusal).error.code]).toEqual([403, 'exam_in_progress'])
    } finally {
      exams.setExamWatchMsForTests(null)
      // The live run the stream stored when it opened (the tests below count the window's runs).
      const db = await getDb()
      await db.exerciseAttempt.deleteMany({ where: { userId: ada.id, trigger: 'live' } })
    }
  })

  test("during the window the class's students get no hint nor solution, from the page or the APIs; others are unaffected", async () => {
    const set = await putExam(teacher, { startsAt: minutes(-1), endsAt: minutes(60), lessons: ['checks-lab/live'] })
    expect(set.status).toBe(200)
    expect(set.json.exam).toMatchObject({ lessons: ['checks-lab/live'] })

    const refusedHint = await hint(ada)
    expect([refusedHint.status, refusedHint.json.error.code]).toEqual([403, 'exam_in_progress'])
    expect(JSON.stringify(refusedHint.json)).not.toContain('docker network create')
    const refusedSolution = await solution(ada)
    expect([refusedSolution.status, refusedSolution.json.error.code]).toEqual([403, 'exam_in_progress'])
    expect(JSON.stringify(refusedSolution.json)).not.toContain('qck-live-net')
    // Live mode (automatic checks as the learner types) is help too: its route refuses to open.
    const refusedLive = await openLive()
    expect([refusedLive.status, (refusedLive.json as Refusal | null)?.error.code]).toEqual([403, 'exam_in_progress'])

    // What the lesson page sends: the hints Ada opened before the exam are not in it, nor their number.
    const exam = await exams.activeExamFor(ada, lesson.courseSlug, lesson.lessonSlug)
    expect(exam).toMatchObject({ classId })
    const { getLesson } = await import('../../../lib/content/lessons.server')
    const exercises = getLesson(lesson.courseSlug, lesson.lessonSlug)!.exercises
    const before = await progress.getExerciseStates(ada.id, lesson.courseSlug, lesson.lessonSlug, exercises)
    expect(before['network-and-member']!.hints).toHaveLength(2)
    const during = await exams.examStates(ada.id, lesson.courseSlug, lesson.lessonSlug, exam!, before)
    expect(during['network-and-member']).toMatchObject({ hints: [], hintCount: 0, solution: null, attempts: 0 })
    expect(JSON.stringify(during)).not.toContain('docker network create')

    // A student of another class on the same course, and an instructor, are not in the exam.
    expect((await hint(bob)).status).toBe(200)
    expect((await solution(bob)).json.solution).toContain('qck-live-net')
    expect((await hint(teacher)).status).toBe(200)
    expect(await exams.activeExamFor(teacher, lesson.courseSlug, lesson.lessonSlug)).toBeNull()
    expect(await exams.activeExamFor(otherTeacher, lesson.courseSlug, lesson.lessonSlug)).toBeNull()
    expect((await hint(otherTeacher)).status).toBe(200)
  })

  test('each check in the window is recorded with its time and weighted grade; the best one reaches the grade sheet and its CSV', async () => {
    const db = await getDb()
    // A run before the window, on another exercise: it must not count.
    await db.exerciseAttempt.create({
      data: { userId: ada.id, ...lesson, exerciseId: 'with-command', passed: true, passedCount: 2, totalCount: 2, assertions: [], durationMs: 1, score: 1, createdAt: new Date(Date.now() - 3_600_000) },
    })

    const empty = await check()
    expect(empty.status).toBe(200)
    await sh('docker network create qck-live-net')
    const half = await check()
    // The network check (weight 1) passes its existence and driver; the container check (weight 3) fails.
    const weightOf = (a: { check: number }) => (a.check === 1 ? 3 : 1)
    const expected = half.json.result.assertions.filter((a) => a.passed).reduce((s, a) => s + weightOf(a), 0) / half.json.result.assertions.reduce((s, a) => s + weightOf(a), 0)
    expect(expected).toBeGreaterThan(0)
    expect(expected).toBeLessThan(1)
    const unweighted = half.json.result.assertions.filter((a) => a.passed).length / half.json.result.assertions.length
    expect(expected).not.toBeCloseTo(unweighted, 5)
    await sh('docker run -d --name qck-live-web --network qck-live-net busybox sleep 600')
    const full = await check()
    expect(full.json.attempt.attempts).toBe(3)

    const runs = await db.exerciseAttempt.findMany({ where: { userId: ada.id, exerciseId: 'network-and-member' }, orderBy: { createdAt: 'asc' } })
    expect(runs.map((r) => r.trigger)).toEqual(['manual', 'manual', 'manual'])
    expect(runs[0]!.score).toBe(0)
    expect(runs[1]!.score).toBeCloseTo(expected, 10)
    expect(runs[2]!.score).toBe(1)
    expect(runs.every((r) => r.createdAt.getTime() > Date.now() - 10 * 60_000)).toBe(true)

    // The learner's panel counts the attempts made in the exam.
    const exam = await exams.activeExamFor(ada, lesson.courseSlug, lesson.lessonSlug)
    const states = await exams.examStates(ada.id, lesson.courseSlug, lesson.lessonSlug, exam!, { 'network-and-member': { attempts: 99, completed: true, completedAt: null, hints: [], hintCount: 0, solutionRevealed: false, solution: null, lastAttempt: null } })
    expect(states['network-and-member']!.attempts).toBe(3)

    const grades = await sheet.getGradeSheet(classId, teacher)
    const column = grades.columns.findIndex((c) => c.exerciseId === 'network-and-member')
    const other = grades.columns.findIndex((c) => c.exerciseId === 'with-command')
    const row = grades.rows.find((r) => r.student.id === ada.id)!
    expect(row.cells[column]).toEqual({ best: 100, attempts: 3 })
    expect(row.cells[other]).toEqual({ best: null, attempts: 0 })
    // Bob is in another class: not on this sheet.
    expect(grades.rows.map((r) => r.student.id).sort()).toEqual([ada.id, otherTeacher.id].sort())

    // The review: every run of the window, in order, with its time and grade; the run before it is not there.
    const kept = await review.examReviewOf(classId, teacher, ada.id)
    const reviewed = [
      ['A network and its member', false, 0],
      ['A network and its member', false, Math.round(expected * 1000) / 10],
      ['A network and its member', true, 100],
    ]
    expect(kept.runs.map((r) => [r.exerciseTitle, r.passed, r.grade])).toEqual(reviewed)
    expect(kept.runs.map((r) => r.at.getTime())).toEqual(runs.map((r) => r.createdAt.getTime()))
    await expect(review.examReviewOf(classId, teacher, bob.id)).rejects.toMatchObject({ code: 'student_not_in_class' })
    await expect(review.examReviewOf(classId, ada, ada.id)).rejects.toMatchObject({ code: 'not_class_instructor' })

    // A live run stored in the window (a stream opened before it began) is not an exam grade:
    // only clicks on "Vérifier" are.
    await db.exerciseAttempt.create({
      data: { userId: ada.id, ...lesson, exerciseId: 'with-command', trigger: 'live', passed: true, passedCount: 2, totalCount: 2, assertions: [], durationMs: 1, score: 1 },
    })
    const afterLive = await sheet.getGradeSheet(classId, teacher)
    expect(afterLive.rows.find((r) => r.student.id === ada.id)!.cells[other]).toEqual({ best: null, attempts: 0 })
    // Nor is it in the review of what the student did.
    expect((await review.examReviewOf(classId, teacher, ada.id)).runs.map((r) => [r.exerciseTitle, r.passed, r.grade])).toEqual(reviewed)

    const csv = await as<string>(teacher, () => routes.grades.GET(body('GET'), params()))
    expect(csv.status).toBe(200)
    const lines = csv.json.replace(/^\uFEFF/, '').trim().split('\r\n')
    expect(lines[0]).toBe('Nom;E-mail;Cours;Leçon;Exercice;Meilleure note (%);Vérifications')
    expect(lines).toContain(`${ada.name};${ada.email};Checks lab;Live checks;A network and its member;100;3`)
    expect(lines.find((l) => l.includes('With a command check'))).toMatch(/;;0$/)
  })

  test('ending the exam gives the help back at once and keeps its window for the grades; removing it counts every run again', async () => {
    const endExam = () => as<{ exam: { startsAt: string; endsAt: string } | null }>(teacher, () => routes.exam.DELETE(body('DELETE'), params()))
    const ended = await endExam()
    expect(ended.status).toBe(200)
    expect(Date.parse(ended.json.exam!.endsAt)).toBeLessThanOrEqual(Date.now())
    expect(await exams.activeExamFor(ada, lesson.courseSlug, lesson.lessonSlug)).toBeNull()
    expect((await hint(ada)).status).toBe(200)
    expect((await solution(ada)).status).toBe(200)
    // Live mode is back: the stream opens.
    const live = await openLive()
    expect([live.status, live.type]).toEqual([200, 'text/event-stream; charset=utf-8'])
    const cellOf = async (exerciseId: string) => {
      const grades = await sheet.getGradeSheet(classId, teacher)
      return grades.rows.find((r) => r.student.id === ada.id)!.cells[grades.columns.findIndex((c) => c.exerciseId === exerciseId)]
    }
    // Still the exam's grades: the run before the window does not count.
    expect(await cellOf('with-command')).toEqual({ best: null, attempts: 0 })
    expect(await cellOf('network-and-member')).toEqual({ best: 100, attempts: 3 })

    // An exam that is over is removed: every run counts again.
    expect((await endExam()).json.exam).toBeNull()
    expect(await cellOf('with-command')).toEqual({ best: 100, attempts: 1 })
  })
})
