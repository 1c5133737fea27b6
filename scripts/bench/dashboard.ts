// Class dashboard speed with a big class: 300 students, 20 lessons, 30,000 exercise attempts
// (plus quiz attempts, hints, presence), seeded into a throwaway SQLite database.
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/dashboard.ts [--runs 40] [--no-page]
// Prints the server time to build the dashboard data (lib/classes, in process) p50/p95, and,
// when a production build exists (`npx next build`), the page's server time over HTTP.
// Last line: one JSON object with every figure.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

const args = process.argv.slice(2)
const runs = Number(args[args.indexOf('--runs') + 1] || 40) || 40
const withPage = !args.includes('--no-page') && fs.existsSync('.next/BUILD_ID')
const target = { students: 300, lessons: 20, attempts: 30_000 }

// --keep DIR keeps the seeded database in DIR (for profiling); otherwise a temporary folder.
const keep = args.includes('--keep') ? path.resolve(args[args.indexOf('--keep') + 1]!) : null
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quai-bench-dashboard-'))
if (keep) {
  fs.rmSync(keep, { recursive: true, force: true })
  fs.mkdirSync(keep, { recursive: true })
}
const url = `file:${path.join(dir, 'quai.db')}`
process.env.DATABASE_URL = url
// Measure what production runs: content read once and cached, not re-scanned per call.
;(process.env as Record<string, string>).NODE_ENV = 'production'

const { migrateDatabase } = await import('../../lib/db/migrate')
const { getDb } = await import('../../lib/db/client.server')
const { listCourses } = await import('../../lib/content/lessons.server')
const { getClassDashboard, exportClassCsv } = await import('../../lib/classes/dashboard.server')
const { getStudentReport } = await import('../../lib/classes/student.server')
const { generateJoinCode } = await import('../../lib/classes/codes')
const { resetClassTallies } = await import('../../lib/classes/tally.server')

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10
}

// A seeded generator: the same data on every run.
let seed = 42
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!

async function waitFor(address: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(address)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`server at ${address} did not answer within ${timeoutMs / 1000} s`)
}

let server: ChildProcess | null = null
let stopping = false
const port = 3391
const base = `http://localhost:${port}`
function stop() {
  stopping = true
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  if (!keep) fs.rmSync(dir, { recursive: true, force: true })
}
process.on('exit', stop)

try {
  await migrateDatabase(url)
  const db = await getDb()

  // The instructor signs up through the real server when we measure the page (the first
  // account of an installation is its instructor), so the session cookie is real.
  let cookie = ''
  let instructorId: string
  if (withPage) {
    server = spawn('npx', ['tsx', '--import', './scripts/node/register.mjs', 'server.ts'], {
      env: { ...process.env, NODE_ENV: 'production', PORT: String(port), DATABASE_URL: url, QUAI_AUTH_RATE_LIMIT: 'off', QUAI_URL: base, QUAI_SANDBOX_RUNTIME: 'off' },
      stdio: ['ignore', fs.openSync(path.join(dir, 'server.log'), 'a'), fs.openSync(path.join(dir, 'server.log'), 'a')],
      detached: true,
    })
    server.on('exit', (code, signal) => {
      if (!stopping) console.error(`the benchmark's server exited (code ${code}, signal ${signal})`)
    })
    await waitFor(base, 90_000)
    const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ email: 'bench-instructor@quai.test', password: 'bench-password', name: 'Bench' }),
    })
    cookie = signUp.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    if (!signUp.ok || !cookie) throw new Error(`could not sign up the instructor: ${signUp.status}`)
    instructorId = (await db.user.findUniqueOrThrow({ where: { email: 'bench-instructor@quai.test' } })).id
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
  const exerciseProgressRows = new Map<string, { userId: string; courseSlug: string; lessonSlug: string; exerciseId: string; attempts: number; hintsRevealed: number; solutionRevealed: boolean; firstAttemptAt: Date; completedAt: Date | null }>()
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
      hintsRevealed: 0,
      solutionRevealed: false,
      firstAttemptAt: at(3000 - n / 20),
      completedAt: null,
    }
    entry.attempts++
    const assertions = assertionsFor(exercise.id, Math.min(0.95, 0.3 + entry.attempts * 0.15))
    const passed = assertions.every((a) => a.passed)
    if (passed && !entry.completedAt) entry.completedAt = at(3000 - n / 20)
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
      trigger: random() < 0.5 ? 'live' : 'manual',
      createdAt: at(3000 - n / 20),
    })
  }
  for (let i = 0; i < attemptRows.length; i += 2000) await db.exerciseAttempt.createMany({ data: attemptRows.slice(i, i + 2000) as never })
  const ep = [...exerciseProgressRows.values()]
  for (let i = 0; i < ep.length; i += 2000) await db.exerciseProgress.createMany({ data: ep.slice(i, i + 2000) })
  for (let i = 0; i < eventRows.length; i += 2000) await db.exerciseEvent.createMany({ data: eventRows.slice(i, i + 2000) as never })
  await db.presence.createMany({
    data: students.slice(0, 60).map((s, i) => {
      const { lesson, exercise } = exercises[i % exercises.length]!
      return { userId: s.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, exerciseId: exercise.id, since: at(20 + i), lastSeenAt: at(0) }
    }),
  })
  const counts = {
    students: students.length,
    lessons: lessons.length,
    exercises: exercises.length,
    exercise_attempts: await db.exerciseAttempt.count(),
    quiz_attempts: await db.quizAttempt.count(),
    lesson_progress_rows: progressRows.length,
  }
  console.log(`seeded in ${Math.round(performance.now() - started)} ms:`, counts)

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
  // A class at work: ten new check runs are recorded between two looks at the dashboard.
  let extra = 0
  const newRuns = async () => {
    const rows = Array.from({ length: 10 }, () => {
      const { lesson, exercise } = pick(exercises)
      const assertions = assertionsFor(exercise.id, 0.5)
      extra++
      return {
        userId: pick(students).id,
        courseSlug: lesson.courseSlug,
        lessonSlug: lesson.slug,
        exerciseId: exercise.id,
        passed: assertions.every((a) => a.passed),
        passedCount: assertions.filter((a) => a.passed).length,
        totalCount: assertions.length,
        assertions,
        durationMs: 50,
        trigger: 'live',
      }
    })
    await db.exerciseAttempt.createMany({ data: rows })
  }
  const data: number[] = []
  for (let i = 0; i < runs + 3; i++) {
    await newRuns()
    const t0 = performance.now()
    await getClassDashboard(classroom.id, instructor, 'fr')
    if (i >= 3) data.push(performance.now() - t0)
  }
  // The first look at a class after the server starts counts every run in SQL.
  const cold: number[] = []
  for (let i = 0; i < 5; i++) {
    resetClassTallies()
    const t0 = performance.now()
    await getClassDashboard(classroom.id, instructor, 'fr')
    cold.push(performance.now() - t0)
  }
  const csv = await time(() => exportClassCsv(classroom.id, instructor, 'fr'), Math.ceil(runs / 4))
  const busiest = (await db.exerciseAttempt.groupBy({ by: ['userId'], _count: { _all: true }, orderBy: { _count: { userId: 'desc' } }, take: 1 }))[0]!
  const report = await time(() => getStudentReport(classroom.id, instructor, busiest.userId, 'fr'), Math.ceil(runs / 4))
  const result: Record<string, number | null> = {
    ...counts,
    dashboard_data_ms_p50: percentile(data, 50),
    dashboard_data_ms_p95: percentile(data, 95),
    dashboard_data_first_look_ms_p50: percentile(cold, 50),
    csv_export_ms_p50: percentile(csv, 50),
    student_report_ms_p50: percentile(report, 50),
    dashboard_page_ms_p50: null,
    dashboard_page_ms_p95: null,
    dashboard_page_kb: null,
  }
  console.log(`dashboard data (lib/classes, in process), ${runs} runs, 10 new check runs before each: p50 ${result.dashboard_data_ms_p50} ms, p95 ${result.dashboard_data_ms_p95} ms`)
  console.log(`first look at the class after a server start (all ${counts.exercise_attempts + extra} runs counted in SQL): p50 ${result.dashboard_data_first_look_ms_p50} ms`)
  console.log(`CSV export p50 ${result.csv_export_ms_p50} ms; student view (busiest student, ${busiest._count._all} attempts) p50 ${result.student_report_ms_p50} ms`)

  if (withPage) {
    const page = `${base}/teach/classes/${classroom.id}`
    const times: number[] = []
    let bytes = 0
    for (let i = 0; i < runs + 3; i++) {
      const t0 = performance.now()
      let response: Response
      let body: string
      try {
        // A keep-alive socket the server closed while the data was being timed fails once:
        // retry on a fresh one.
        response = await fetch(page, { headers: { cookie } }).catch(() => fetch(page, { headers: { cookie } }))
        body = await response.text()
      } catch (error) {
        console.error(`the server stopped answering; its last lines:\n${fs.readFileSync(path.join(dir, 'server.log'), 'utf8').split('\n').slice(-30).join('\n')}`)
        throw error
      }
      if (!response.ok) throw new Error(`${page} answered ${response.status}`)
      if (i >= 3) times.push(performance.now() - t0)
      bytes = body.length
    }
    result.dashboard_page_ms_p50 = percentile(times, 50)
    result.dashboard_page_ms_p95 = percentile(times, 95)
    result.dashboard_page_kb = Math.round(bytes / 1024)
    console.log(`dashboard page over HTTP (production server, whole HTML), ${runs} runs: p50 ${result.dashboard_page_ms_p50} ms, p95 ${result.dashboard_page_ms_p95} ms, ${result.dashboard_page_kb} kB`)
  } else {
    console.log('dashboard page: not measured (no production build: run `npx next build`, or --no-page was given)')
  }
  console.log(JSON.stringify(result))
  await db.$disconnect()
} finally {
  stop()
}
