// Class dashboard speed with a big class: 300 students, 20 lessons, 30,000 exercise attempts
// (plus quiz attempts, hints, presence), seeded into a throwaway migrated SQLite database
// (db.ts: never data/quai.db, never your DATABASE_URL).
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/dashboard.ts [--runs 40] [--no-page] [--keep DIR]
// Part of `npm run bench` (benchDashboard). The figure that counts is the server's own time
// to build the dashboard's data, read from the Server-Timing header (`total`) of
// GET /api/classes/<id>/dashboard on a production server (`npx next build` first):
//   dashboard_server_ms_p50/p95          a class at work: ten new check runs (recordAttempt,
//                                        the learners' write path) between two looks
//   dashboard_server_first_look_ms_p50   a class this server has not shown yet, as after a
//                                        server start or on another instance (and _warm_: the
//                                        same once the server has served the 40 looks)
// The 30,000 seeded runs are written in bulk, with the counts recordAttempt keeps for them
// (ExerciseProgress.passedAttempts, ExerciseAssertionFailure) built from the same rules.
// Also printed: the same data built in this process (lib/classes), the API's and the HTML
// page's round trips, the grade sheet's own page, the CSV export and one student's view. Without a production build, only
// the in-process figures are measured. Last line: one JSON object with every figure.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { openThrowawayDatabase } from './db'
import { freePort } from './ports'

const target = { students: 300, lessons: 20, attempts: 30_000 }
const firstLooks = 5

export type DashboardBench = Record<string, number | null> & {
  dashboard_server_ms_p50: number | null
  dashboard_server_ms_p95: number | null
  dashboard_server_first_look_ms_p50: number | null
  dashboard_page_ms_p50: number | null
}

export type DashboardOptions = {
  runs?: number
  /** Measure over HTTP (needs a production build); default: when .next/BUILD_ID exists. */
  page?: boolean
  /** Fail at once when there is no production build (npm run bench: the server figures are the point). */
  requireServer?: boolean
  /** Keep the seeded database in this folder (for profiling). */
  keep?: string | null
  log?: (line: string) => void
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10
}

/** The entries of a Server-Timing header ("class;dur=3.1, …, total;dur=41.7"), in ms. */
export function serverTimings(header: string | null): Map<string, number> {
  const timings = new Map<string, number>()
  for (const match of (header ?? '').matchAll(/([\w-]+);dur=([0-9.]+)/g)) timings.set(match[1]!, Number(match[2]))
  return timings
}

/** The `total` entry of the dashboard's Server-Timing header, in ms. */
export function serverTimingTotal(header: string | null): number {
  const total = serverTimings(header).get('total')
  if (total === undefined) throw new Error(`no "total" in the dashboard's Server-Timing header: ${JSON.stringify(header)}`)
  return total
}

// A seeded generator: the same data on every run.
function seededRandom(start: number) {
  let seed = start
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function waitFor(address: string, timeoutMs: number, server: ChildProcess) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the benchmark's server exited (code ${server.exitCode})`)
    try {
      if ((await fetch(address)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`server at ${address} did not answer within ${timeoutMs / 1000} s`)
}

export async function benchDashboard(options: DashboardOptions = {}): Promise<DashboardBench> {
  const runs = Math.max(5, options.runs ?? 40)
  const log = options.log ?? ((line: string) => console.log(line))
  const built = fs.existsSync('.next/BUILD_ID')
  if (options.requireServer && !built) throw new Error('no production build (.next/BUILD_ID): run `npx next build` first')
  const withPage = (options.page ?? true) && built

  const database = await openThrowawayDatabase('dashboard', options.keep)
  const url = database.url
  const serverLog = path.join(database.dir, 'server.log')
  // Measure what production runs: content read once and cached, not re-scanned per call.
  const env = process.env as Record<string, string | undefined>
  const previousNodeEnv = env.NODE_ENV
  env.NODE_ENV = 'production'

  let server: ChildProcess | null = null
  let stopping = false
  const killServer = () => {
    stopping = true
    if (server?.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
  }
  process.on('exit', killServer)

  try {
    const { getDb } = await import('../../lib/db/client.server')
    const { listCourses } = await import('../../lib/content/lessons.server')
    const { getClassDashboard, exportClassCsv } = await import('../../lib/classes/dashboard.server')
    const { getStudentReport } = await import('../../lib/classes/student.server')
    const { generateJoinCode } = await import('../../lib/classes/codes')
    const { recordAttempt } = await import('../../lib/progress/exercises.server')
    const { runFailures } = await import('../../lib/progress/exercise-rules')
    const random = seededRandom(42)
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
    let db = await getDb()

    // The instructor signs up through the real server when we measure over HTTP, so the session
    // cookie is real, then gets the role the way `npm run user:role` gives it.
    const port = await freePort()
    const base = `http://localhost:${port}`
    let cookie = ''
    let instructorId: string
    if (withPage) {
      const out = fs.openSync(serverLog, 'a')
      server = spawn('npx', ['tsx', '--import', './scripts/node/register.mjs', 'server.ts'], {
        env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url, QUAI_AUTH_RATE_LIMIT: 'off', QUAI_URL: base, QUAI_SANDBOX_RUNTIME: 'off', NEXT_TELEMETRY_DISABLED: '1' },
        stdio: ['ignore', out, out],
        detached: true,
      })
      server.on('exit', (code, signal) => {
        if (!stopping) console.error(`the benchmark's server exited (code ${code}, signal ${signal})`)
      })
      await waitFor(base, 90_000, server)
      const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify({ email: 'bench-instructor@quai.test', password: 'bench-password', name: 'Bench' }),
      })
      cookie = signUp.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ')
      if (!signUp.ok || !cookie) throw new Error(`could not sign up the instructor: ${signUp.status}`)
      instructorId = (await db.user.update({ where: { email: 'bench-instructor@quai.test' }, data: { role: 'instructor' }, select: { id: true } })).id
    } else {
      instructorId = randomUUID()
      await db.user.create({ data: { id: instructorId, name: 'Bench', email: 'bench-instructor@quai.test', role: 'instructor' } })
    }

    // Courses of the real curriculum until there are 20 lessons.
    const courses: ReturnType<typeof listCourses> = []
    for (const course of listCourses()) {
      if (courses.reduce((n, c) => n + c.lessons.length, 0) >= target.lessons) break
      courses.push(course)
    }
    const lessons = courses.flatMap((c) => c.lessons).slice(0, Math.max(target.lessons, 0))
    const exercises = lessons.flatMap((l) => l.exercises.map((e) => ({ lesson: l, exercise: e })))
    if (exercises.length === 0) throw new Error('the curriculum has no exercises to seed attempts for')

    const started = performance.now()
    const classroom = await db.classroom.create({
      data: {
        name: 'Promo benchmark',
        joinCode: generateJoinCode(),
        courses: { create: courses.map((c, position) => ({ courseSlug: c.slug, position })) },
        instructors: { create: { userId: instructorId } },
      },
    })
    const students = Array.from({ length: target.students }, (_, i) => ({
      id: randomUUID(),
      name: `Élève ${String(i + 1).padStart(3, '0')}`,
      email: `eleve-${i + 1}@bench.test`,
      role: 'student',
    }))
    await db.user.createMany({ data: students })
    await db.classroomMember.createMany({ data: students.map((s) => ({ classroomId: classroom.id, userId: s.id })) })

    const now = Date.now()
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000)
    const progressRows: object[] = []
    const quizRows: object[] = []
    for (const s of students) {
      lessons.forEach((lesson, i) => {
        // Earlier lessons are further along: the class moves through the course.
        const reach = random() * lessons.length * 1.2
        if (i > reach) return
        const done = i < reach - 2
        progressRows.push({
          userId: s.id,
          courseSlug: lesson.courseSlug,
          lessonSlug: lesson.slug,
          startedAt: at(5000 - i * 200),
          completedAt: done ? at(4000 - i * 200) : null,
          lastSeenAt: at(Math.floor(random() * 3000)),
          activeSeconds: Math.floor(random() * 3600),
        })
        if (lesson.quiz) {
          const max = lesson.quiz.questions.length
          for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) {
            const score = Math.floor(random() * (max + 1))
            quizRows.push({
              userId: s.id,
              courseSlug: lesson.courseSlug,
              lessonSlug: lesson.slug,
              submissionId: randomUUID(),
              answers: {},
              results: lesson.quiz.questions.map((q, j) => ({ questionId: q.id, correct: j < score, answered: true })),
              score,
              maxScore: max,
              createdAt: at(3000 - k),
            })
          }
        }
      })
    }
    for (let i = 0; i < progressRows.length; i += 2000) await db.lessonProgress.createMany({ data: progressRows.slice(i, i + 2000) as never })
    for (let i = 0; i < quizRows.length; i += 2000) await db.quizAttempt.createMany({ data: quizRows.slice(i, i + 2000) as never })

    // 30,000 check runs over (student, exercise) pairs, each with 4–8 assertions whose message
    // keys are real, so rendering the "most failed" messages costs what it costs in class.
    const keys = [
      ['network.exists.ok', 'network.exists.missing', (j: number) => ({ name: `net-${j}`, driver: 'bridge', suggestion: '' })],
      ['network.member.ok', 'network.member.missing', (j: number) => ({ network: 'tp-net', container: `c${j}`, found: 'bridge' })],
      ['container.exists.ok', 'container.exists.missing', (j: number) => ({ name: `c${j}`, status: 'running', suggestion: '' })],
      ['network.internal.ok', 'network.internal.fail', (j: number) => ({ name: `net-${j}`, expected: 'true' })],
    ] as const
    // Shaped like the checks engine's assertions (lib/checks/assertions.ts): an id, the check's
    // index, the outcome, and the message key with its parameters.
    const assertionsFor = (exerciseId: string, progress: number) =>
      Array.from({ length: 4 + (exerciseId.length % 5) }, (_, j) => {
        const passed = random() < progress + j * 0.05
        const [ok, fail, params] = keys[j % keys.length]!
        return { id: `check:${exerciseId}:${j}`, check: j, passed, key: passed ? ok : fail, params: params(j) }
      })
    const attemptRows: object[] = []
    const exerciseProgressRows = new Map<
      string,
      { userId: string; courseSlug: string; lessonSlug: string; exerciseId: string; attempts: number; passedAttempts: number; hintsRevealed: number; solutionRevealed: boolean; firstAttemptAt: Date; completedAt: Date | null }
    >()
    // What recordAttempt keeps per learner, exercise and failing assertion (runs are seeded in time order).
    const failureRows = new Map<string, { userId: string; courseSlug: string; lessonSlug: string; exerciseId: string; assertionId: string; failures: number; sample: object; lastFailedAt: Date }>()
    const eventRows: object[] = []
    for (let n = 0; n < target.attempts; n++) {
      const s = pick(students)
      const { lesson, exercise } = pick(exercises)
      const key = `${s.id}/${lesson.key}/${exercise.id}`
      const entry = exerciseProgressRows.get(key) ?? {
        userId: s.id,
        courseSlug: lesson.courseSlug,
        lessonSlug: lesson.slug,
        exerciseId: exercise.id,
        attempts: 0,
        passedAttempts: 0,
        hintsRevealed: 0,
        solutionRevealed: false,
        firstAttemptAt: at(3000 - n / 20),
        completedAt: null,
      }
      entry.attempts++
      const assertions = assertionsFor(exercise.id, Math.min(0.95, 0.3 + entry.attempts * 0.15))
      const passed = assertions.every((a) => a.passed)
      if (passed) entry.passedAttempts++
      if (passed && !entry.completedAt) entry.completedAt = at(3000 - n / 20)
      for (const f of runFailures(passed, assertions)) {
        const fk = `${key}/${f.assertionId}`
        const row = failureRows.get(fk) ?? { userId: s.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, exerciseId: exercise.id, assertionId: f.assertionId, failures: 0, sample: {}, lastFailedAt: at(0) }
        row.failures += f.count
        row.sample = f.sample as object
        row.lastFailedAt = at(3000 - n / 20)
        failureRows.set(fk, row)
      }
      if (!passed && random() < 0.1 && entry.hintsRevealed < exercise.hints.length) {
        eventRows.push({ userId: s.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, exerciseId: exercise.id, kind: 'hint', hintIndex: entry.hintsRevealed, createdAt: at(3000 - n / 20) })
        entry.hintsRevealed++
      }
      exerciseProgressRows.set(key, entry)
      attemptRows.push({
        userId: s.id,
        courseSlug: lesson.courseSlug,
        lessonSlug: lesson.slug,
        exerciseId: exercise.id,
        passed,
        passedCount: assertions.filter((a) => a.passed).length,
        totalCount: assertions.length,
        assertions,
        durationMs: 40 + Math.floor(random() * 200),
        // Clicks on Vérifier: the counts seeded beside them count attempts (live runs count none).
        trigger: 'manual',
        createdAt: at(3000 - n / 20),
      })
    }
    for (let i = 0; i < attemptRows.length; i += 2000) await db.exerciseAttempt.createMany({ data: attemptRows.slice(i, i + 2000) as never })
    const ep = [...exerciseProgressRows.values()]
    for (let i = 0; i < ep.length; i += 2000) await db.exerciseProgress.createMany({ data: ep.slice(i, i + 2000) })
    for (let i = 0; i < eventRows.length; i += 2000) await db.exerciseEvent.createMany({ data: eventRows.slice(i, i + 2000) as never })
    const named = new Map<string, { courseSlug: string; lessonSlug: string; exerciseId: string; assertionId: string }>()
    for (const { courseSlug, lessonSlug, exerciseId, assertionId } of failureRows.values()) named.set(`${courseSlug}/${lessonSlug}/${exerciseId}/${assertionId}`, { courseSlug, lessonSlug, exerciseId, assertionId })
    await db.exerciseAssertion.createMany({ data: [...named.values()] })
    const assertionIds = new Map((await db.exerciseAssertion.findMany()).map((x) => [`${x.courseSlug}/${x.lessonSlug}/${x.exerciseId}/${x.assertionId}`, x.id]))
    const fr = [...failureRows.values()].map(({ userId, courseSlug, lessonSlug, exerciseId, assertionId, failures, sample, lastFailedAt }) => ({
      userId,
      courseSlug,
      exerciseAssertionId: assertionIds.get(`${courseSlug}/${lessonSlug}/${exerciseId}/${assertionId}`)!,
      failures,
      sample,
      lastFailedAt,
    }))
    for (let i = 0; i < fr.length; i += 2000) await db.exerciseAssertionFailure.createMany({ data: fr.slice(i, i + 2000) })
    await db.presence.createMany({
      data: students.slice(0, 60).map((s, i) => {
        const { lesson, exercise } = exercises[i % exercises.length]!
        return { userId: s.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, exerciseId: exercise.id, since: at(20 + i), lastSeenAt: at(0) }
      }),
    })
    const counts = {
      students: students.length,
      lessons: lessons.length,
      // The dashboard shows every lesson of the class's courses: at least the 20 seeded.
      class_lessons: courses.reduce((n, c) => n + c.lessons.length, 0),
      exercises: exercises.length,
      exercise_attempts: await db.exerciseAttempt.count(),
      assertion_failure_rows: fr.length,
      quiz_attempts: await db.quizAttempt.count(),
      lesson_progress_rows: progressRows.length,
    }
    log(`seeded in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(counts)}`)

    // A class at work: ten new check runs are recorded between two looks at the dashboard,
    // through recordAttempt (the run, its progress and the dashboard's counts in one
    // transaction each), as the learners' check requests record them; timed one by one.
    let extra = 0
    const recordMs: number[] = []
    const newRuns = async () => {
      for (let k = 0; k < 10; k++) {
        const { lesson, exercise } = pick(exercises)
        const assertions = assertionsFor(exercise.id, 0.5)
        extra++
        const t0 = performance.now()
        await recordAttempt({
          userId: pick(students).id,
          courseSlug: lesson.courseSlug,
          lessonSlug: lesson.slug,
          exerciseId: exercise.id,
          trigger: 'manual',
          result: { passedCount: assertions.filter((a) => a.passed).length, totalCount: assertions.length, durationMs: 50, assertions },
        })
        recordMs.push(performance.now() - t0)
      }
    }
    const instructor = { id: instructorId, role: 'instructor' as const }
    const time = async (fn: () => Promise<unknown>, n: number) => {
      for (let i = 0; i < 3; i++) await fn()
      const times: number[] = []
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await fn()
        times.push(performance.now() - t0)
      }
      return times
    }

    // In this process: lib/classes on the same database, without HTTP, session or JSON.
    const data: number[] = []
    for (let i = 0; i < runs + 3; i++) {
      await newRuns()
      const t0 = performance.now()
      await getClassDashboard(classroom.id, instructor, 'fr')
      if (i >= 3) data.push(performance.now() - t0)
    }
    // The first look after a start: a new database client (connection and statement caches
    // empty); no figure of the dashboard is kept in memory.
    const cold: number[] = []
    const globalForDb = globalThis as unknown as { quaiDb?: Promise<{ $disconnect: () => Promise<void> }> }
    for (let i = 0; i < firstLooks; i++) {
      const client = globalForDb.quaiDb
      delete globalForDb.quaiDb
      await (await client)?.$disconnect()
      db = await getDb()
      const t0 = performance.now()
      await getClassDashboard(classroom.id, instructor, 'fr')
      cold.push(performance.now() - t0)
    }
    const csv = await time(() => exportClassCsv(classroom.id, instructor, 'fr'), Math.ceil(runs / 4))
    const busiest = (await db.exerciseAttempt.groupBy({ by: ['userId'], _count: { _all: true }, orderBy: { _count: { userId: 'desc' } }, take: 1 }))[0]!
    const report = await time(() => getStudentReport(classroom.id, instructor, busiest.userId, 'fr'), Math.ceil(runs / 4))
    const result: DashboardBench = {
      ...counts,
      dashboard_server_ms_p50: null,
      dashboard_server_ms_p95: null,
      dashboard_server_first_look_ms_p50: null,
      dashboard_server_first_look_warm_ms_p50: null,
      dashboard_api_round_trip_ms_p50: null,
      dashboard_api_kb: null,
      dashboard_page_ms_p50: null,
      dashboard_page_ms_p95: null,
      dashboard_page_kb: null,
      grades_page_ms_p50: null,
      grades_page_kb: null,
      dashboard_data_ms_p50: percentile(data, 50),
      dashboard_data_ms_p95: percentile(data, 95),
      dashboard_data_first_look_ms_p50: percentile(cold, 50),
      record_attempt_ms_p50: percentile(recordMs, 50),
      record_attempt_ms_p95: percentile(recordMs, 95),
      csv_export_ms_p50: percentile(csv, 50),
      student_report_ms_p50: percentile(report, 50),
    }
    log(`dashboard data in this process (lib/classes), ${runs} looks, 10 new check runs before each: p50 ${result.dashboard_data_ms_p50} ms, p95 ${result.dashboard_data_ms_p95} ms`)
    log(`  first look after a restart (new database client; ${counts.exercise_attempts + extra} runs stored), ${firstLooks} looks: p50 ${result.dashboard_data_first_look_ms_p50} ms`)
    log(`  recording a check run (recordAttempt, one at a time), ${recordMs.length} runs: p50 ${result.record_attempt_ms_p50} ms, p95 ${result.record_attempt_ms_p95} ms`)
    log(`  CSV export p50 ${result.csv_export_ms_p50} ms; student view (busiest student, ${busiest._count._all} attempts) p50 ${result.student_report_ms_p50} ms`)

    if (!withPage) {
      log('dashboard over HTTP: not measured (no production build: run `npx next build`, or --no-page was given)')
      return result
    }

    // A keep-alive socket the server closed while we were busy fails once: retry on a fresh one.
    const get = async (address: string) => {
      const t0 = performance.now()
      let response: Response
      let body: string
      try {
        response = await fetch(address, { headers: { cookie } }).catch(() => fetch(address, { headers: { cookie } }))
        body = await response.text()
      } catch (error) {
        console.error(`the server stopped answering; its last lines:\n${fs.readFileSync(serverLog, 'utf8').split('\n').slice(-30).join('\n')}`)
        throw error
      }
      const ms = performance.now() - t0
      if (!response.ok) throw new Error(`${address} answered ${response.status}: ${body.slice(0, 300)}`)
      return { response, body, ms }
    }
    const api = (id: string) => `${base}/api/classes/${id}/dashboard`

    // Warm-up: the route loaded, the code compiled by V8, this class counted once.
    for (let i = 0; i < 3; i++) await get(api(classroom.id))

    // First looks: classes with the same students and courses that this server has never
    // shown, as the first look after a start or on another instance.
    const twinLook = async (name: string) => {
      const twin = await db.classroom.create({
        data: {
          name,
          joinCode: generateJoinCode(),
          courses: { create: courses.map((c, position) => ({ courseSlug: c.slug, position })) },
          instructors: { create: { userId: instructorId } },
        },
      })
      await db.classroomMember.createMany({ data: students.map((s) => ({ classroomId: twin.id, userId: s.id })) })
      return serverTimingTotal((await get(api(twin.id))).response.headers.get('server-timing'))
    }
    const firstLook: number[] = []
    for (let i = 0; i < firstLooks; i++) firstLook.push(await twinLook(`Promo benchmark bis ${i + 1}`))

    // A class at work: ten new check runs between two looks, as in the class.
    const serverMs: number[] = []
    const phases = new Map<string, number[]>()
    const roundTrip: number[] = []
    let apiBytes = 0
    for (let i = 0; i < runs; i++) {
      await newRuns()
      const { response, body, ms } = await get(api(classroom.id))
      const header = response.headers.get('server-timing')
      serverMs.push(serverTimingTotal(header))
      for (const [name, value] of serverTimings(header)) if (name !== 'total') phases.set(name, [...(phases.get(name) ?? []), value])
      roundTrip.push(ms)
      apiBytes = body.length
    }
    // The same first look once the server has served those 40 (its code compiled and warm), to
    // tell what a never-shown class costs from what a young server process costs.
    const warmFirstLook: number[] = []
    for (let i = 0; i < firstLooks; i++) warmFirstLook.push(await twinLook(`Promo benchmark ter ${i + 1}`))
    result.dashboard_server_ms_p50 = percentile(serverMs, 50)
    result.dashboard_server_ms_p95 = percentile(serverMs, 95)
    result.dashboard_server_first_look_ms_p50 = percentile(firstLook, 50)
    result.dashboard_server_first_look_warm_ms_p50 = percentile(warmFirstLook, 50)
    result.dashboard_api_round_trip_ms_p50 = percentile(roundTrip, 50)
    result.dashboard_api_kb = Math.round(apiBytes / 1024)
    log(`dashboard API on the production server, server time (Server-Timing total), ${runs} looks, 10 new check runs before each: p50 ${result.dashboard_server_ms_p50} ms, p95 ${result.dashboard_server_ms_p95} ms (round trip p50 ${result.dashboard_api_round_trip_ms_p50} ms, ${result.dashboard_api_kb} kB of JSON)`)
    log(`  phases, p50 each (they overlap: matrix, exercises and live run together): ${[...phases].map(([name, values]) => `${name} ${percentile(values, 50)}`).join(', ')} ms`)
    log(`  first look at a class this server has not shown yet, ${firstLooks} classes, right after the warm-up: p50 ${result.dashboard_server_first_look_ms_p50} ms, all: ${firstLook.map((v) => Math.round(v)).join(' ')}; after the ${runs} looks: p50 ${result.dashboard_server_first_look_warm_ms_p50} ms, all: ${warmFirstLook.map((v) => Math.round(v)).join(' ')}`)

    // The whole HTML page (server rendering included), timed from here.
    const page = `${base}/teach/classes/${classroom.id}`
    const pageMs: number[] = []
    let bytes = 0
    for (let i = 0; i < runs + 3; i++) {
      const { body, ms } = await get(page)
      if (i >= 3) pageMs.push(ms)
      bytes = body.length
    }
    result.dashboard_page_ms_p50 = percentile(pageMs, 50)
    result.dashboard_page_ms_p95 = percentile(pageMs, 95)
    result.dashboard_page_kb = Math.round(bytes / 1024)
    log(`dashboard page, whole HTML, round trip on localhost, ${runs} looks: p50 ${result.dashboard_page_ms_p50} ms, p95 ${result.dashboard_page_ms_p95} ms, ${result.dashboard_page_kb} kB`)

    // The grade sheet's own page, its first page of students (the dashboard links to it).
    const gradesPage = `${base}/teach/classes/${classroom.id}/grades`
    const gradesMs: number[] = []
    const gradesLooks = Math.ceil(runs / 4)
    for (let i = 0; i < gradesLooks + 3; i++) {
      const { body, ms } = await get(gradesPage)
      if (i >= 3) gradesMs.push(ms)
      bytes = body.length
    }
    result.grades_page_ms_p50 = percentile(gradesMs, 50)
    result.grades_page_kb = Math.round(bytes / 1024)
    log(`grade sheet page (first page of students), whole HTML, ${gradesLooks} looks: p50 ${result.grades_page_ms_p50} ms, ${result.grades_page_kb} kB`)
    return result
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r))
      killServer()
      const timer = setTimeout(() => {
        try {
          if (server?.pid) process.kill(-server.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }, 5000)
      await exited
      clearTimeout(timer)
    }
    process.off('exit', killServer)
    env.NODE_ENV = previousNodeEnv
    await database.release()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2)
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
  const result = await benchDashboard({ runs: Number(option('--runs')) || undefined, page: !args.includes('--no-page'), keep: option('--keep') ?? null })
  console.log(JSON.stringify(result))
  process.exit(0)
}
