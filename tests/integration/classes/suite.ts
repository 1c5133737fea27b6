import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { createUser } from '../../support/progress-suite'

// Classes against a real database (SQLite or PostgreSQL, whichever DATABASE_URL names), on
// the fixture course "demo": lecture, quiz-lesson (5 questions), labo (exercises reseau and
// conteneur). Checks the scoping and privacy rules as much as the arithmetic.

import type * as ClassesModule from '@/lib/classes/classes.server'
import type * as DashboardModule from '@/lib/classes/dashboard.server'
import type * as ErrorsModule from '@/lib/classes/errors'
import type * as StudentModule from '@/lib/classes/student.server'
import type * as ProgressModule from '@/lib/progress/exercises.server'
import type * as LessonsModule from '@/lib/progress/lessons.server'
import type * as SubmitModule from '@/lib/quiz/submit.server'

type Classes = typeof ClassesModule
type Dashboard = typeof DashboardModule
type Student = typeof StudentModule
type Progress = typeof ProgressModule
type Lessons = typeof LessonsModule & typeof SubmitModule

type Me = { id: string; role: 'student' | 'instructor' }

const a = (id: string, passed: boolean, key: string, params: Record<string, unknown>, pending = false) => ({ id, check: 0, passed, key, params, ...(pending ? { pending } : {}) })
const netExists = (ok: boolean) => a('network:demo-net:exists', ok, ok ? 'network.exists.ok' : 'network.exists.missing', { name: 'demo-net', suggestion: '', driver: 'bridge' })
const netMember = (ok: boolean) =>
  a('network:demo-net:member:web', ok, ok ? 'network.member.ok' : 'network.member.missing', { network: 'demo-net', container: 'web', found: 'bridge' })
const run = (...assertions: ReturnType<typeof a>[]) => ({
  passedCount: assertions.filter((x) => x.passed).length,
  totalCount: assertions.length,
  durationMs: 20,
  assertions: assertions as never,
})

type Figures = { runs: [string, number, number][]; failures: { exercise: string; assertionId: string; failures: number; students: number; sample?: unknown }[] }
const byFailure = (x: Figures['failures'][number], y: Figures['failures'][number]) => `${x.exercise}\u0000${x.assertionId}`.localeCompare(`${y.exercise}\u0000${y.assertionId}`)

/** The class's check-run figures as the dashboard reads them: the counts kept at write time. */
async function keptFigures(db: Db, classId: string, options = { samples: true }): Promise<Figures> {
  const { exerciseTotalsOf } = await import('@/lib/classes/queries.server')
  const { classFailuresOf } = await import('@/lib/classes/failures.server')
  const totals = await exerciseTotalsOf(db, classId)
  const failures = await classFailuresOf(db, classId)
  return {
    runs: totals
      .filter((t) => t.attempts > 0)
      .map((t): [string, number, number] => [`${t.courseSlug}/${t.lessonSlug}/${t.exerciseId}`, t.attempts, t.passedAttempts])
      .sort((x, y) => x[0].localeCompare(y[0])),
    failures: failures
      .map((f) => ({ exercise: `${f.courseSlug}/${f.lessonSlug}/${f.exerciseId}`, assertionId: f.assertionId, failures: f.failures, students: f.students, ...(options.samples ? { sample: f.sample } : {}) }))
      .sort(byFailure),
  }
}

/** The same figures recounted from the class's stored runs, one by one (foldAttempt). */
async function recount(db: Db, classId: string, options = { samples: true }): Promise<Figures> {
  const { emptyTally, foldAttempt, tallyRows } = await import('../../support/attempt-recount')
  const members = (await db.classroomMember.findMany({ where: { classroomId: classId }, select: { userId: true } })).map((m) => m.userId)
  const courses = (await db.classroomCourse.findMany({ where: { classroomId: classId }, select: { courseSlug: true } })).map((c) => c.courseSlug)
  const tally = emptyTally()
  for (const attempt of await db.exerciseAttempt.findMany({ where: { userId: { in: members }, courseSlug: { in: courses } }, orderBy: { createdAt: 'asc' } })) foldAttempt(tally, attempt)
  const { failures } = tallyRows(tally)
  return {
    runs: [...tally.runs.entries()].map(([key, r]): [string, number, number] => [key, r.total, r.passed]).sort((x, y) => x[0].localeCompare(y[0])),
    failures: failures
      .map((f) => ({ exercise: `${f.courseSlug}/${f.lessonSlug}/${f.exerciseId}`, assertionId: f.assertionId, failures: f.failures, students: f.students, ...(options.samples ? { sample: f.sample } : {}) }))
      .sort(byFailure),
  }
}

export function classesSuite(getDatabase: () => Db) {
  let classes: Classes
  let dashboard: Dashboard
  let student: Student
  let progress: Progress
  let lessons: Lessons
  let errors: typeof ErrorsModule

  beforeAll(async () => {
    classes = await import('@/lib/classes/classes.server')
    dashboard = await import('@/lib/classes/dashboard.server')
    student = await import('@/lib/classes/student.server')
    progress = await import('@/lib/progress/exercises.server')
    lessons = { ...(await import('@/lib/progress/lessons.server')), ...(await import('@/lib/quiz/submit.server')) }
    errors = await import('@/lib/classes/errors')
  })

  const instructor = async (): Promise<Me> => ({ id: await createUser(getDatabase(), 'instructor'), role: 'instructor' })
  const learner = async (): Promise<Me> => ({ id: await createUser(getDatabase(), 'student'), role: 'student' })
  const refused = async (promise: Promise<unknown>, code: string) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(errors.ClassError)
    expect((error as InstanceType<typeof errors.ClassError>).code).toBe(code)
  }
  const attempt = (userId: string, exerciseId: string, result: ReturnType<typeof run>, courseSlug = 'demo') =>
    progress.recordAttempt({ userId, courseSlug, lessonSlug: 'labo', exerciseId, trigger: 'manual', result })
  /** A run of live mode, as lib/checks/live.server.ts records it while the lesson is open. */
  const liveRun = (userId: string, exerciseId: string, result: ReturnType<typeof run>) =>
    progress.recordAttempt({ userId, courseSlug: 'demo', lessonSlug: 'labo', exerciseId, trigger: 'live', result })

  describe('classes and join codes', () => {
    it('creates a class taught by its creator, with a readable code', async () => {
      const prof = await instructor()
      const created = await classes.createClass(prof, { name: 'BTS SIO 2', courses: ['demo'] })
      expect(created.joinCode).toMatch(/^[2-9A-HJKMNP-TV-Z]{10}$/)
      const detail = await classes.requireTeaching(created.id, prof)
      expect(detail).toMatchObject({ name: 'BTS SIO 2', courses: [{ slug: 'demo', title: 'Cours de démonstration' }], memberCount: 0, archivedAt: null })
      expect(detail.instructors.map((i) => i.id)).toEqual([prof.id])
      expect((await classes.listTeachingClasses(prof.id)).map((c) => c.id)).toEqual([created.id])
    })

    it('refuses unknown courses, past expiry dates, and students creating classes', async () => {
      const prof = await instructor()
      await refused(classes.createClass(prof, { name: 'X', courses: ['nope'] }), 'unknown_course')
      await refused(classes.createClass(prof, { name: 'Xy', courses: ['demo'], joinCodeExpiresAt: '2001-01-01T00:00:00Z' }), 'invalid_expiry')
      await refused(classes.createClass(await learner(), { name: 'Xy', courses: ['demo'] }), 'not_class_instructor')
    })

    it('lets a student join once (a second time is a no-op), in several classes, with any spelling of the code', async () => {
      const prof = await instructor()
      const one = await classes.createClass(prof, { name: 'Groupe 1', courses: ['demo'] })
      const two = await classes.createClass(prof, { name: 'Groupe 2', courses: ['demo'] })
      const s = await learner()
      const pretty = `${one.joinCode.slice(0, 5).toLowerCase()}-${one.joinCode.slice(5)}`
      expect(await classes.joinClass(s, pretty)).toEqual({ status: 'joined', classroom: { id: one.id, name: 'Groupe 1' } })
      expect((await classes.joinClass(s, one.joinCode)).status).toBe('already-member')
      expect((await classes.joinClass(s, two.joinCode)).status).toBe('joined')
      expect((await classes.listMemberships(s.id)).map((m) => m.name).sort()).toEqual(['Groupe 1', 'Groupe 2'])
      expect(await getDatabase().classroomMember.count({ where: { userId: s.id } })).toBe(2)
    })

    it('stores one membership when the same join races', async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Course', courses: ['demo'] })
      const s = await learner()
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => classes.joinClass(s, c.joinCode)))
      expect(outcomes.filter((o) => o.status === 'joined')).toHaveLength(1)
      expect(await getDatabase().classroomMember.count({ where: { classroomId: c.id } })).toBe(1)
    })

    it('answers wrong, unknown, expired and archived codes clearly, and an instructor joining their own class', async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Soir', courses: ['demo'] })
      const s = await learner()
      await refused(classes.joinClass(s, 'hello'), 'invalid_code')
      await refused(classes.joinClass(s, 'ZZZZZ-ZZZZZ'), 'unknown_code')
      await refused(classes.joinClass(prof, c.joinCode), 'teaches_class')
      await getDatabase().classroom.update({ where: { id: c.id }, data: { joinCodeExpiresAt: new Date(Date.now() - 1000) } })
      await refused(classes.joinClass(s, c.joinCode), 'expired_code')
      await getDatabase().classroom.update({ where: { id: c.id }, data: { joinCodeExpiresAt: null } })
      await classes.updateClass(c.id, prof, { archived: true })
      await refused(classes.joinClass(s, c.joinCode), 'class_archived')
      await classes.updateClass(c.id, prof, { archived: false })
      expect((await classes.joinClass(s, c.joinCode)).status).toBe('joined')
    })

    it('locks out an account that keeps trying wrong codes', async () => {
      const s = await learner()
      for (let i = 0; i < 10; i++) await refused(classes.joinClass(s, 'ZZZZZ-ZZZZ' + 'Y'), 'unknown_code')
      await refused(classes.joinClass(s, 'ZZZZZ-ZZZZY'), 'too_many_attempts')
    })

    it('regenerates the code: the old one stops working, the new one may expire', async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Matin', courses: ['demo'] })
      const expires = new Date(Date.now() + 3_600_000).toISOString()
      const fresh = await classes.regenerateJoinCode(c.id, prof, expires)
      expect(fresh.joinCode).not.toBe(c.joinCode)
      expect(fresh.joinCodeExpiresAt?.toISOString()).toBe(expires)
      await refused(classes.joinClass(await learner(), c.joinCode), 'unknown_code')
      expect((await classes.joinClass(await learner(), fresh.joinCode)).status).toBe('joined')
    })

    it('removes a student (their progress stays theirs) and manages co-instructors', async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Après-midi', courses: ['demo'] })
      const s = await learner()
      await classes.joinClass(s, c.joinCode)
      await attempt(s.id, 'reseau', run(netExists(false)))
      await classes.removeMember(c.id, prof, s.id)
      await refused(classes.removeMember(c.id, prof, s.id), 'student_not_in_class')
      expect(await getDatabase().exerciseAttempt.count({ where: { userId: s.id } })).toBe(1)
      expect((await dashboard.getClassDashboard(c.id, prof, 'fr')).matrix).toEqual([])

      const colleague = await instructor()
      const email = (await getDatabase().user.findUniqueOrThrow({ where: { id: colleague.id } })).email
      await refused(classes.addInstructor(c.id, prof, (await getDatabase().user.findUniqueOrThrow({ where: { id: s.id } })).email), 'instructor_not_found')
      await classes.addInstructor(c.id, prof, email.toUpperCase())
      await classes.addInstructor(c.id, prof, email)
      expect((await classes.requireTeaching(c.id, colleague)).instructors).toHaveLength(2)
      await classes.removeInstructor(c.id, colleague, prof.id)
      await refused(classes.requireTeaching(c.id, prof), 'not_class_instructor')
      await refused(classes.removeInstructor(c.id, colleague, colleague.id), 'last_instructor')
    })
  })

  describe('privacy: only the class instructors see the class', () => {
    it('refuses another instructor, a student and a demoted instructor everything about a class', async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Privée', courses: ['demo'] })
      const s = await learner()
      await classes.joinClass(s, c.joinCode)
      for (const other of [await instructor(), s, { id: prof.id, role: 'student' as const }]) {
        await refused(classes.requireTeaching(c.id, other), 'not_class_instructor')
        await refused(dashboard.getClassDashboard(c.id, other, 'fr'), 'not_class_instructor')
        await refused(dashboard.getClassPresence(c.id, other), 'not_class_instructor')
        await refused(dashboard.exportClassCsv(c.id, other, 'fr'), 'not_class_instructor')
        await refused(student.getStudentReport(c.id, other, s.id, 'fr'), 'not_class_instructor')
        await refused(classes.updateClass(c.id, other, { archived: true }), 'not_class_instructor')
        await refused(classes.regenerateJoinCode(c.id, other, null), 'not_class_instructor')
        await refused(classes.removeMember(c.id, other, s.id), 'not_class_instructor')
        await refused(classes.addInstructor(c.id, other, 'x@example.test'), 'not_class_instructor')
        await refused(classes.listMembers(c.id, other), 'not_class_instructor')
      }
      await refused(dashboard.getClassDashboard('does-not-exist', prof, 'fr'), 'class_not_found')
      expect((await getDatabase().classroom.findUniqueOrThrow({ where: { id: c.id } })).archivedAt).toBeNull()
    })

    it("never shows a student who is not in the class, nor work outside the class's courses", async () => {
      const prof = await instructor()
      const mine = await classes.createClass(prof, { name: 'A', courses: ['demo'] })
      const theirs = await classes.createClass(await instructor(), { name: 'B', courses: ['demo'] })
      const inMine = await learner()
      const inTheirs = await learner()
      await classes.joinClass(inMine, mine.joinCode)
      await classes.joinClass(inTheirs, theirs.joinCode)
      await attempt(inMine.id, 'reseau', run(netExists(false)))
      await attempt(inTheirs.id, 'reseau', run(netExists(false), netMember(false)))
      await attempt(inTheirs.id, 'reseau', run(netExists(false), netMember(false)))
      // Work of my student on a course the class does not follow.
      await attempt(inMine.id, 'reseau', run(netMember(false)), 'other-course')
      await lessons.recordHeartbeat(inTheirs.id, 'demo', 'labo', 30, 'reseau')

      const view = await dashboard.getClassDashboard(mine.id, prof, 'fr')
      expect(view.matrix.map((r) => r.student.id)).toEqual([inMine.id])
      const reseau = view.exercises.find((e) => e.exerciseId === 'reseau')!
      expect(reseau).toMatchObject({ attempted: 1, attempts: 1, classSize: 1 })
      expect(reseau.topFailures).toEqual([{ assertionId: 'network:demo-net:exists', failures: 1, students: 1, message: 'aucun réseau nommé demo-net', outputs: [] }])
      expect(view.live).toEqual([])
      await refused(student.getStudentReport(mine.id, prof, inTheirs.id, 'fr'), 'student_not_in_class')
      const report = await student.getStudentReport(mine.id, prof, inMine.id, 'fr')
      expect(report.lessons.map((l) => l.courseSlug)).not.toContain('other-course')
      const csv = (await dashboard.exportClassCsv(mine.id, prof, 'fr')).body
      expect(csv).not.toContain((await getDatabase().user.findUniqueOrThrow({ where: { id: inTheirs.id } })).email)
    })
  })

  describe('dashboard', () => {
    it('shows a failed then a passed exercise, quiz scores, the failing assertions and who is working now', async () => {
      const db = getDatabase()
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'TP réseaux', courses: ['demo'] })
      const [s1, s2, s3] = [await learner(), await learner(), await learner()]
      for (const s of [s1, s2, s3]) await classes.joinClass(s, c.joinCode)

      // s1 fails reseau twice, then passes it; s2 fails it the same way; s3 never tries.
      await attempt(s1.id, 'reseau', run(netExists(false), netMember(false)))
      await attempt(s1.id, 'reseau', run(netExists(true), netMember(false)))
      await attempt(s1.id, 'reseau', run(netExists(true), netMember(true)))
      await attempt(s2.id, 'reseau', run(netExists(true), netMember(false), a('command:1', false, 'command.notLive', { label: 'x' }, true)))
      await progress.revealHint({ userId: s2.id, courseSlug: 'demo', lessonSlug: 'labo', exercise: exercise('reseau'), index: 0 })
      await progress.revealSolution({ userId: s2.id, courseSlug: 'demo', lessonSlug: 'labo', exercise: exercise('reseau') })
      const { getLesson } = await import('@/lib/content/lessons.server')
      const quiz = getLesson('demo', 'quiz-lesson')!
      await lessons.submitQuiz(s1.id, quiz, { submissionId: randomUUID(), answers: { dns: 'nope' } })
      await lessons.submitQuiz(s1.id, quiz, { submissionId: randomUUID(), answers: { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'] } })
      await lessons.recordHeartbeat(s2.id, 'demo', 'labo', 30, 'reseau')
      await lessons.recordHeartbeat(s3.id, 'demo', 'labo', 30, null)
      await db.presence.update({ where: { userId: s3.id }, data: { lastSeenAt: new Date(Date.now() - 10 * 60_000) } })

      const view = await dashboard.getClassDashboard(c.id, prof, 'fr')
      expect(view.lessons.map((l) => l.key)).toEqual(['demo/lecture', 'demo/quiz-lesson', 'demo/labo'])
      const row = (id: string) => view.matrix.find((r) => r.student.id === id)!
      expect(row(s1.id).cells[1]).toMatchObject({ status: 'completed', bestQuizPercent: 60, quizAttempts: 2 }) // passing score 60
      expect(row(s1.id).cells[2]).toMatchObject({ status: 'in-progress', exercisesCompleted: 1, exerciseAttempts: 3 })
      expect(row(s2.id).cells[2]).toMatchObject({ exercisesCompleted: 0, hintsRevealed: 1, solutionsRevealed: 1 })
      expect(row(s3.id).cells.map((cell) => cell.status)).toEqual(['not-started', 'not-started', 'in-progress'])

      const reseau = view.exercises.find((e) => e.exerciseId === 'reseau')!
      expect(reseau).toMatchObject({ attempted: 2, completed: 1, successRate: 50, attempts: 4, passedAttempts: 1, attemptPassRate: 25, hintsRevealed: 1, solutionsRevealed: 1 })
      // member fails for both students (3 runs), exists for one (1 run); the pending command is not a failure.
      expect(reseau.topFailures).toEqual([
        { assertionId: 'network:demo-net:member:web', failures: 3, students: 2, message: 'le réseau demo-net existe, mais web n’y est pas attaché (ses réseaux : bridge)', outputs: [] },
        { assertionId: 'network:demo-net:exists', failures: 1, students: 1, message: 'aucun réseau nommé demo-net', outputs: [] },
      ])
      const english = await dashboard.getClassDashboard(c.id, prof, 'en')
      expect(english.exercises.find((e) => e.exerciseId === 'reseau')!.topFailures[1]!.message).toMatch(/no network named demo-net/i)
      expect(view.exercises.find((e) => e.exerciseId === 'conteneur')).toMatchObject({ attempted: 0, successRate: null })

      expect(view.live.map((l) => [l.userId, l.lessonTitle, l.exerciseTitle, l.lessonSeconds])).toEqual([[s2.id, 'Un TP', 'Créer le réseau demo-net', 30]])
      expect(view.lessonSummaries[2]).toMatchObject({ inProgress: 3, completed: 0 })
    })

    it('counts the same runs and failures from the counts kept at write time as from folding the stored runs one by one', async () => {
      const db = getDatabase()
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Tally', courses: ['demo'] })
      const students = [await learner(), await learner(), await learner()]
      for (const s of students) await classes.joinClass(s, c.joinCode)
      const outsider = await learner()
      const runs = [
        [students[0]!, run(netExists(false), netMember(false))],
        [students[0]!, run(netExists(true), netMember(false))],
        [students[1]!, run(netExists(true), netMember(false), a('command:1', false, 'command.notLive', { label: 'x' }, true))],
        [students[2]!, run(netExists(true), netMember(true))],
        [students[2]!, run(netExists(false), netMember(true))],
        // The same assertion listed twice in one run counts twice, as folding counts it.
        [students[1]!, run(netMember(false), a('network:demo-net:member:web', false, 'network.member.missing', { network: 'demo-net', container: 'web', found: 'host' }))],
        [outsider, run(netExists(false))],
      ] as const
      for (const [s, result] of runs) await attempt(s.id, 'reseau', result)
      await attempt(students[1]!.id, 'conteneur', run(a('container:web:exists', false, 'container.exists.missing', { name: 'web', suggestion: '' })))
      await attempt(students[0]!.id, 'reseau', run(netExists(false)), 'other-course')

      const kept = await keptFigures(db, c.id)
      expect(kept).toEqual(await recount(db, c.id))
      expect(kept.failures.map((f) => [f.exercise, f.assertionId, f.failures, f.students])).toEqual([
        ['demo/labo/conteneur', 'container:web:exists', 1, 1],
        ['demo/labo/reseau', 'network:demo-net:exists', 2, 2],
        ['demo/labo/reseau', 'network:demo-net:member:web', 5, 2],
      ])
      expect(kept.runs).toEqual([
        ['demo/labo/conteneur', 1, 0],
        ['demo/labo/reseau', 6, 1],
      ])
      // The latest failing run's message is the one shown: s1's duplicate, listed last, with found: host.
      expect(kept.failures.find((f) => f.assertionId === 'network:demo-net:member:web')!.sample).toMatchObject({ params: { found: 'host' } })
      expect(kept.failures.find((f) => f.assertionId === 'network:demo-net:exists')!.sample).toMatchObject({ key: 'network.exists.missing' })
      // The dashboard shows the same figures.
      const reseau = (await dashboard.getClassDashboard(c.id, prof, 'fr')).exercises.find((e) => e.exerciseId === 'reseau')!
      expect(reseau).toMatchObject({ attempts: 6, passedAttempts: 1, attemptPassRate: 17 })
      expect(reseau.topFailures.map((f) => [f.assertionId, f.failures, f.students])).toEqual([
        ['network:demo-net:member:web', 5, 2],
        ['network:demo-net:exists', 2, 2],
      ])

      // A later run is counted at once; a member removed takes their runs out of the class figures.
      await attempt(students[2]!.id, 'reseau', run(netExists(false)))
      expect((await keptFigures(db, c.id)).failures.find((f) => f.assertionId === 'network:demo-net:exists')).toMatchObject({ failures: 3, students: 2 })
      await classes.removeMember(c.id, prof, students[2]!.id)
      const without = await keptFigures(db, c.id)
      expect(without).toEqual(await recount(db, c.id))
      expect(without.failures.find((f) => f.assertionId === 'network:demo-net:exists')).toMatchObject({ failures: 1, students: 1 })
      expect(without.runs).toEqual([
        ['demo/labo/conteneur', 1, 0],
        ['demo/labo/reseau', 4, 0],
      ])
    })

    it('keeps exact counts when many runs are recorded at once, by several learners on the same exercises', async () => {
      const db = getDatabase()
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Rush', courses: ['demo'] })
      const students = [await learner(), await learner(), await learner(), await learner()]
      for (const s of students) await classes.joinClass(s, c.joinCode)
      // Every learner's first failures race each other's inserts of the same rows, and live
      // runs of the same exercises race the attempts (they count nothing).
      const results = await Promise.allSettled(
        students.flatMap((s, i) => [
          ...Array.from({ length: 8 }, (_, k) =>
            attempt(s.id, k % 3 === 2 ? 'conteneur' : 'reseau', k % 4 === 3 && i % 2 === 0 ? run(netExists(true), netMember(true)) : run(netExists(k % 2 === 0), netMember(false))),
          ),
          ...Array.from({ length: 3 }, (_, k) => liveRun(s.id, k === 2 ? 'conteneur' : 'reseau', run(netExists(false), netMember(k === 1)))),
        ]),
      )
      expect(results.filter((r) => r.status === 'rejected')).toEqual([])
      const kept = await keptFigures(db, c.id, { samples: false })
      expect(kept).toEqual(await recount(db, c.id, { samples: false }))
      expect(kept.runs.reduce((n, [, total]) => n + total, 0)).toBe(32)
      for (const s of students) {
        const rows = await db.exerciseProgress.findMany({ where: { userId: s.id } })
        for (const row of rows) {
          const where = { userId: s.id, courseSlug: row.courseSlug, lessonSlug: row.lessonSlug, exerciseId: row.exerciseId, trigger: 'manual' }
          expect([row.attempts, row.passedAttempts]).toEqual([await db.exerciseAttempt.count({ where }), await db.exerciseAttempt.count({ where: { ...where, passed: true } })])
        }
      }
      expect(await db.exerciseAttempt.count({ where: { userId: { in: students.map((s) => s.id) }, trigger: 'live' } })).toBe(12)
    })

    it('records nothing of a run whose transaction rolls back: no run, no count, no failure', async () => {
      const db = getDatabase()
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Rollback', courses: ['demo'] })
      const s = await learner()
      await classes.joinClass(s, c.joinCode)
      await attempt(s.id, 'reseau', run(netExists(false), netMember(true)))
      const before = await keptFigures(db, c.id)
      const rowsBefore = await db.exerciseAssertionFailure.findMany({ where: { userId: s.id }, orderBy: { exerciseAssertionId: 'asc' } })
      // Everything recordAttempt writes, then a failure before the commit.
      const original = db.$transaction.bind(db) as (fn: (tx: unknown) => Promise<unknown>, options?: unknown) => Promise<unknown>
      const spy = vi.spyOn(db, '$transaction').mockImplementation(((fn: (tx: unknown) => Promise<unknown>, options?: unknown) =>
        original(async (tx) => {
          await fn(tx)
          throw new Error('simulated failure before commit')
        }, options)) as never)
      try {
        await expect(attempt(s.id, 'reseau', run(netExists(false), netMember(false)))).rejects.toThrow('simulated failure before commit')
        await expect(attempt(s.id, 'conteneur', run(a('container:web:exists', false, 'container.exists.missing', { name: 'web', suggestion: '' })))).rejects.toThrow()
      } finally {
        spy.mockRestore()
      }
      expect(await db.exerciseAttempt.count({ where: { userId: s.id } })).toBe(1)
      expect((await db.exerciseProgress.findMany({ where: { userId: s.id } })).map((p) => [p.exerciseId, p.attempts, p.passedAttempts])).toEqual([['reseau', 1, 0]])
      expect(await db.exerciseAssertionFailure.findMany({ where: { userId: s.id }, orderBy: { exerciseAssertionId: 'asc' } })).toEqual(rowsBefore)
      expect(await keptFigures(db, c.id)).toEqual(before)
      expect(before).toEqual(await recount(db, c.id))
    })

    it("shows one student's checks, hints, solution and quiz answers to the class's instructor", async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Aide', courses: ['demo'] })
      const s = await learner()
      await classes.joinClass(s, c.joinCode)
      await attempt(s.id, 'reseau', run(netExists(false)))
      await progress.revealHint({ userId: s.id, courseSlug: 'demo', lessonSlug: 'labo', exercise: exercise('reseau'), index: 0 })
      await attempt(s.id, 'reseau', run(netExists(true)))
      const { getLesson } = await import('@/lib/content/lessons.server')
      await lessons.submitQuiz(s.id, getLesson('demo', 'quiz-lesson')!, { submissionId: randomUUID(), answers: { 'default-net': 'a', drivers: ['a', 'b'] } })
      await lessons.recordHeartbeat(s.id, 'demo', 'labo', 45, 'reseau')

      const report = await student.getStudentReport(c.id, prof, s.id, 'fr')
      const labo = report.lessons.find((l) => l.lessonSlug === 'labo')!
      const reseau = labo.exercises.find((e) => e.id === 'reseau')!
      expect(reseau).toMatchObject({ attempts: 2, hintsRevealed: 1, hintCount: 2, solutionRevealed: false })
      expect(reseau.completedAt).not.toBeNull()
      expect(reseau.events).toMatchObject([{ kind: 'hint', hintIndex: 0, text: 'Regardez docker network create.' }])
      expect(reseau.recentAttempts.map((x) => x.passed)).toEqual([true, false])
      expect(reseau.recentAttempts[1]!.assertions).toEqual([{ id: 'network:demo-net:exists', passed: false, pending: false, message: 'aucun réseau nommé demo-net' }])
      expect(labo.activeSeconds).toBe(45)
      const quizLesson = report.lessons.find((l) => l.lessonSlug === 'quiz-lesson')!
      expect(quizLesson.quizAttempts).toHaveLength(1)
      expect(quizLesson.quizAttempts[0]!.answers.find((x) => x.questionId === 'default-net')).toEqual({
        questionId: 'default-net',
        prompt: 'Quel réseau un conteneur rejoint-il sans option --network ?',
        given: 'host',
        expected: 'bridge',
        correct: false,
      })
      expect(quizLesson.quizAttempts[0]!.answers.find((x) => x.questionId === 'drivers')).toMatchObject({ given: 'bridge ; overlay', correct: true })
    })

    it('exports one CSV row per student × lesson, with a BOM and the French separator', async () => {
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Élèves de 1re', courses: ['demo'] })
      for (let i = 0; i < 2; i++) await classes.joinClass(await learner(), c.joinCode)
      const { filename, body } = await dashboard.exportClassCsv(c.id, prof, 'fr')
      expect(filename).toMatch(/^eleves-de-1re-\d{4}-\d{2}-\d{2}\.csv$/)
      expect(body.startsWith('\uFEFFNom;E-mail;Cours;Leçon;Statut')).toBe(true)
      expect(body.trim().split('\r\n')).toHaveLength(1 + 2 * 3)
      expect((await dashboard.exportClassCsv(c.id, prof, 'en')).body).toContain('Name,Email,Course')
    })
  })

  describe('live runs are not attempts', () => {
    /** The cells of a student's CSV row for a lesson, by header (French export). */
    const csvRow = (body: string, email: string, lessonTitle: string) => {
      const [header, ...lines] = body.replace(/^\uFEFF/, '').trim().split('\r\n').map((line) => line.split(';'))
      const line = lines.find((cells) => cells[1] === email && cells[3] === lessonTitle)!
      return Object.fromEntries(header!.map((name, i) => [name, line[i]]))
    }
    const emailOf = async (id: string) => (await getDatabase().user.findUniqueOrThrow({ where: { id } })).email

    it('a learner whose only runs are live ones is neither stuck, nor failing, nor counted in the CSV or her report', async () => {
      const db = getDatabase()
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'En direct', courses: ['demo'] })
      const [reader, finisher, stuck] = [await learner(), await learner(), await learner()]
      for (const s of [reader, finisher, stuck]) await classes.joinClass(s, c.joinCode)

      // reader never presses "Vérifier": 8 live runs fail while she reads, on both exercises.
      for (let i = 0; i < 4; i++) {
        const first = await liveRun(reader.id, 'conteneur', run(a('container:web:exists', false, 'container.exists.missing', { name: 'web', suggestion: '' })))
        expect(first).toMatchObject({ passed: false, completed: false, attempts: 0 })
        await liveRun(reader.id, 'reseau', run(netExists(false), netMember(false)))
      }
      // finisher checks once and fails, then live mode sees her fix: a live pass completes the exercise.
      await attempt(finisher.id, 'reseau', run(netExists(true), netMember(false)))
      expect(await liveRun(finisher.id, 'reseau', run(netExists(true), netMember(true)))).toMatchObject({ passed: true, completed: true, firstCompletion: true, attempts: 1 })
      // stuck checks twice and fails; live runs in between fail on another assertion.
      await attempt(stuck.id, 'reseau', run(netExists(false)))
      for (let i = 0; i < 3; i++) await liveRun(stuck.id, 'reseau', run(netExists(true), netMember(false)))
      await attempt(stuck.id, 'reseau', run(netExists(false)))

      // Every live run is stored, flagged by its trigger (the current state).
      expect(await db.exerciseAttempt.count({ where: { userId: { in: [reader.id, finisher.id, stuck.id] }, trigger: 'live' } })).toBe(12)
      expect(await keptFigures(db, c.id)).toEqual(await recount(db, c.id))

      const view = await dashboard.getClassDashboard(c.id, prof, 'fr')
      const reseau = view.exercises.find((e) => e.exerciseId === 'reseau')!
      expect(reseau).toMatchObject({ attempted: 2, completed: 1, successRate: 50, attempts: 3, passedAttempts: 0, attemptPassRate: 0 })
      expect(reseau.topFailures.map((f) => [f.assertionId, f.failures, f.students])).toEqual([
        ['network:demo-net:exists', 2, 1],
        ['network:demo-net:member:web', 1, 1],
      ])
      expect(view.exercises.find((e) => e.exerciseId === 'conteneur')).toMatchObject({ attempted: 0, completed: 0, successRate: null, attempts: 0, topFailures: [] })
      // "Où la classe bloque": one student on reseau (stuck), nobody on conteneur.
      const { stuckExercises } = await import('@/lib/classes/aggregate')
      expect(stuckExercises(view.exercises).map((e) => [e.exerciseId, e.attempted - e.completed])).toEqual([['reseau', 1]])

      const cell = (id: string) => view.matrix.find((r) => r.student.id === id)!.cells[2]!
      expect(cell(reader.id)).toMatchObject({ exercisesCompleted: 0, exerciseAttempts: 0 })
      expect(cell(finisher.id)).toMatchObject({ exercisesCompleted: 1, exerciseAttempts: 1 })
      expect(cell(stuck.id)).toMatchObject({ exercisesCompleted: 0, exerciseAttempts: 2 })

      const csv = (await dashboard.exportClassCsv(c.id, prof, 'fr')).body
      expect(csvRow(csv, await emailOf(reader.id), 'Un TP')).toMatchObject({ 'Exercices réussis': '0', Vérifications: '0' })
      expect(csvRow(csv, await emailOf(finisher.id), 'Un TP')).toMatchObject({ 'Exercices réussis': '1', Vérifications: '1' })
      expect(csvRow(csv, await emailOf(stuck.id), 'Un TP')).toMatchObject({ 'Exercices réussis': '0', Vérifications: '2' })

      const exercisesOf = async (id: string) => (await student.getStudentReport(c.id, prof, id, 'fr')).lessons.find((l) => l.lessonSlug === 'labo')!.exercises
      for (const e of await exercisesOf(reader.id)) {
        expect(e).toMatchObject({ attempts: 0, firstAttemptAt: null, completedAt: null, recentAttempts: [], liveState: { passed: false, passedCount: 0 } })
      }
      const [finished] = await exercisesOf(finisher.id)
      expect(finished).toMatchObject({ attempts: 1, liveState: { passed: true, passedCount: 2, totalCount: 2 } })
      expect(finished!.completedAt).not.toBeNull()
      expect(finished!.recentAttempts.map((x) => [x.trigger, x.passed])).toEqual([['manual', false]])
      const [blocked] = await exercisesOf(stuck.id)
      // The last attempt is more recent than the live runs: it is the current state.
      expect(blocked).toMatchObject({ attempts: 2, completedAt: null, liveState: null })
      expect(blocked!.recentAttempts.map((x) => [x.trigger, x.passed])).toEqual([
        ['manual', false],
        ['manual', false],
      ])
    })

    it('a live pass completes the exercise and the lesson without counting an attempt', async () => {
      const db = getDatabase()
      const prof = await instructor()
      const c = await classes.createClass(prof, { name: 'Sans clic', courses: ['demo'] })
      const s = await learner()
      await classes.joinClass(s, c.joinCode)
      await liveRun(s.id, 'reseau', run(netExists(false)))
      await liveRun(s.id, 'reseau', run(netExists(true)))
      await liveRun(s.id, 'conteneur', run(a('container:web:running', true, 'container.running.ok', { name: 'web' })))
      expect((await db.lessonProgress.findUniqueOrThrow({ where: { userId_courseSlug_lessonSlug: { userId: s.id, courseSlug: 'demo', lessonSlug: 'labo' } } })).completedAt).not.toBeNull()
      expect((await db.exerciseProgress.findMany({ where: { userId: s.id }, orderBy: { exerciseId: 'asc' } })).map((p) => [p.exerciseId, p.attempts, p.passedAttempts, p.firstAttemptAt, p.completedAt !== null])).toEqual([
        ['conteneur', 0, 0, null, true],
        ['reseau', 0, 0, null, true],
      ])
      expect(await db.exerciseAssertionFailure.count({ where: { userId: s.id } })).toBe(0)
      const view = await dashboard.getClassDashboard(c.id, prof, 'fr')
      expect(view.matrix[0]!.cells[2]).toMatchObject({ status: 'completed', exercisesCompleted: 2, exerciseAttempts: 0 })
      expect(view.exercises.map((e) => [e.exerciseId, e.attempted, e.completed, e.successRate, e.attempts])).toEqual([
        ['reseau', 1, 1, 100, 0],
        ['conteneur', 1, 1, 100, 0],
      ])
      const { stuckExercises } = await import('@/lib/classes/aggregate')
      expect(stuckExercises(view.exercises)).toEqual([])
    })
  })

  async function exerciseLookup() {
    const { getLesson } = await import('@/lib/content/lessons.server')
    return (id: string) => getLesson('demo', 'labo')!.exercises.find((e) => e.id === id)!
  }
  let exercise: (id: string) => ReturnType<Awaited<ReturnType<typeof exerciseLookup>>>
  beforeAll(async () => {
    exercise = await exerciseLookup()
  })
}
