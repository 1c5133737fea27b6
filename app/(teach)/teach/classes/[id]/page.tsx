import type { Metadata } from 'next'
import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { ClassCharts } from '@/components/teach/ClassCharts'
import { ExamForm } from '@/components/teach/ExamForm'
import { ExerciseTable, StuckExercises } from '@/components/teach/ExerciseViews'
import { JoinCodeCard } from '@/components/teach/JoinCodeCard'
import { LivePresence } from '@/components/teach/LivePresence'
import { encodeCells } from '@/components/teach/matrix-codec'
import { ProgressMatrix } from '@/components/teach/ProgressMatrix'
import { SharedApps } from '@/components/teach/SharedApps'
import { requirePageUser } from '@/lib/auth/session.server'
import { isJoinCodeExpired } from '@/lib/classes/codes'
import { stuckExercises } from '@/lib/classes/aggregate'
import { getClassDashboard } from '@/lib/classes/dashboard.server'
import { orPage } from '@/lib/classes/http.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'
import { getEnv } from '@/lib/env.server'
import { gradesCsvApi } from '@/lib/exams/api'
import { examStatus, getClassExam } from '@/lib/exams/exams.server'
import { classOpenQuestions } from '@/lib/open-questions/grading.server'
import { sharedPortsOfClass } from '@/lib/workspace/port-access.server'

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ course?: string | string[] }> }

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach'))('title') }
}

export default async function ClassDashboardPage({ params, searchParams }: Props) {
  const { id } = await params
  const user = await requirePageUser(`/teach/classes/${id}`, 'instructor')
  const classId = orPageId(id)
  const data = await orPage(getClassDashboard(classId, user, await readerLocale()))
  // The grade sheet has its own page (./grades): students × exercises cells would weigh on every look here.
  const [t, format, sharedPorts, exam] = await Promise.all([getTranslations('teach'), getFormatter(), sharedPortsOfClass(classId), getClassExam(classId, user)])
  const { classroom } = data

  // Display filter only: the data above is the whole class's.
  const requested = (await searchParams).course
  const course = typeof requested === 'string' && classroom.courses.some((c) => c.slug === requested) ? requested : null
  const shown = data.lessons.map((l, i) => ({ l, i })).filter(({ l }) => !course || l.courseSlug === course)
  const lessons = shown.map(({ l }) => l)
  const statusCode = { 'not-started': 0, 'in-progress': 1, completed: 2 } as const
  const matrixLessons = lessons.map((l) => ({ key: l.key, title: l.title, courseTitle: l.courseTitle, exercises: l.exercises.length }))
  const matrixStudents = data.matrix.map((row) => ({
    id: row.student.id,
    name: row.student.name,
    cells: encodeCells(
      shown.map(({ i }) => {
        const c = row.cells[i]!
        return { status: statusCode[c.status], quiz: c.bestQuizPercent, exercises: c.exercisesCompleted }
      }),
    ),
    done: shown.filter(({ i }) => row.cells[i]!.status === 'completed').length,
    seconds: shown.reduce((sum, { i }) => sum + row.cells[i]!.activeSeconds, 0),
  }))
  const exercises = data.exercises.filter((e) => !course || e.courseSlug === course)
  const when = (iso: string) => format.dateTime(new Date(iso), { dateStyle: 'long', timeStyle: 'short' })
  // An exam covers graded work: exercises, and open questions (handed in within its window, locked after it).
  const withOpenQuestions = new Set(classOpenQuestions(classroom.courses.map((c) => c.slug)).map((q) => `${q.courseSlug}/${q.lessonSlug}`))
  const examLessons = data.lessons.filter((l) => l.exercises.length > 0 || withOpenQuestions.has(l.key))
  const gradedExercises = data.lessons.filter((l) => !exam?.lessons || exam.lessons.includes(l.key)).reduce((n, l) => n + l.exercises.length, 0)
  const status = exam ? examStatus(exam, data.generatedAt) : null
  const examSummary = exam
    ? `${t('exam.current', { start: when(exam.startsAt), end: when(exam.endsAt) })} (${t(`exam.${status!}`)}) · ${
        exam.lessons === null
          ? t('exam.allLessons')
          : t('exam.someLessons', { count: exam.lessons.length, lessons: exam.lessons.map((key) => data.lessons.find((l) => l.key === key)?.title ?? key).join(', ') })
      }`
    : null

  return (
    <main className="mx-auto max-w-7xl px-6 py-8">
      <nav aria-label={t('dashboard.back')} className="text-sm">
        <Link href="/teach" className="text-slate-600 underline hover:text-slate-900">
          {t('dashboard.back')}
        </Link>
      </nav>
      <div className="mt-2 flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-3xl font-bold tracking-tight">
          {classroom.name}
          {classroom.archivedAt && <span className="ml-3 rounded-full border border-slate-400 px-2 py-0.5 align-middle text-sm font-medium text-slate-700">{t('classes.archived')}</span>}
        </h1>
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <Link href={`/teach/classes/${classroom.id}/manage`} className="rounded border border-slate-400 px-3 py-1.5 font-medium hover:bg-slate-50">
            {t('dashboard.manage')}
          </Link>
          <a href={`/api/classes/${classroom.id}/export`} download className="rounded bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700" title={t('dashboard.exportHint')}>
            {t('dashboard.export')}
          </a>
        </div>
      </div>
      <p className="mt-1 text-sm text-slate-600">
        {classroom.courses.map((c) => c.title).join(' · ')} · {t('classes.members', { count: classroom.memberCount })} ·{' '}
        {t('dashboard.updated', { time: format.dateTime(data.generatedAt, { timeStyle: 'medium' }) })}{' '}
        <Link href={`/teach/classes/${classroom.id}${course ? `?course=${course}` : ''}`} className="underline">
          {t('dashboard.refresh')}
        </Link>
      </p>

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <JoinCodeCard classId={classroom.id} code={classroom.joinCode} expiresAt={classroom.joinCodeExpiresAt?.toISOString() ?? null} expired={isJoinCodeExpired(classroom.joinCodeExpiresAt)} archived={classroom.archivedAt !== null} origin={getEnv().appUrl} />
        <LivePresence classId={classroom.id} initial={data.live} initialAt={data.generatedAt.toISOString()} />
      </div>
      <SharedApps ports={sharedPorts} />

      <section className="mt-8" aria-labelledby="exam-heading">
        <h2 id="exam-heading" className="text-xl font-semibold">
          {t('exam.heading')}
        </h2>
        <p className="mt-1 text-sm text-slate-700">{t('exam.hint')}</p>
        <ExamForm classId={classroom.id} exam={exam} underWay={status === 'underWay'} summary={examSummary} lessons={examLessons.map((l) => ({ key: l.key, title: l.title, courseTitle: l.courseTitle }))} />
      </section>

      {data.lessons.length === 0 ? (
        <p className="mt-8 rounded bg-amber-50 px-4 py-3 text-amber-900">{t('dashboard.noCourse')}</p>
      ) : data.matrix.length === 0 ? (
        <p className="mt-8 rounded bg-slate-50 px-4 py-3">{t('dashboard.empty')}</p>
      ) : (
        <>
          {classroom.courses.length > 1 && (
            <nav aria-label={t('dashboard.courseFilter')} className="mt-8 flex flex-wrap gap-2 text-sm">
              {[{ slug: null as string | null, title: t('dashboard.allCourses') }, ...classroom.courses].map((c) => (
                <Link
                  key={c.slug ?? 'all'}
                  href={`/teach/classes/${classroom.id}${c.slug ? `?course=${c.slug}` : ''}`}
                  aria-current={c.slug === course ? 'page' : undefined}
                  className={`rounded-full border px-3 py-1 ${c.slug === course ? 'border-brand-600 bg-brand-50 font-semibold text-brand-800' : 'border-slate-300 hover:bg-slate-50'}`}
                >
                  {c.title}
                </Link>
              ))}
            </nav>
          )}
          <div className="mt-6">
            <StuckExercises exercises={stuckExercises(exercises)} />
          </div>
          <section className="mt-8" aria-labelledby="charts-heading">
            <h2 id="charts-heading" className="text-xl font-semibold">
              {t('charts.heading')}
            </h2>
            <div className="mt-3">
              <ClassCharts
                lessons={lessons.map((l, i) => {
                  const s = data.lessonSummaries.find((x) => x.key === l.key)!
                  return { label: t('matrix.lessonNumber', { n: i + 1 }), title: l.title, completed: s.completed, inProgress: s.inProgress, notStarted: s.notStarted }
                })}
                exercises={exercises
                  .filter((e) => e.successRate !== null)
                  .map((e) => ({ label: e.exerciseId.slice(0, 12), title: `${e.title} (${e.lessonTitle})`, successRate: e.successRate!, attempted: e.attempted }))}
              />
            </div>
          </section>
          {exercises.length > 0 && (
            <section className="mt-8" aria-labelledby="exercises-heading">
              <h2 id="exercises-heading" className="text-xl font-semibold">
                {t('exercises.heading')}
              </h2>
              <div className="mt-3">
                <ExerciseTable exercises={exercises} />
              </div>
            </section>
          )}
          <section className="mt-8" aria-labelledby="grades-heading">
            <div className="flex flex-wrap items-baseline justify-between gap-3">
              <h2 id="grades-heading" className="text-xl font-semibold">
                {t('grades.heading')}
              </h2>
              <div className="flex flex-wrap items-center gap-3 text-sm">
                <Link href={`/teach/classes/${classroom.id}/grades`} className="rounded bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">
                  {t('grades.open')}
                </Link>
                <a href={gradesCsvApi(classroom.id)} download className="rounded border border-slate-400 px-3 py-1.5 font-medium hover:bg-slate-50">
                  {t('grades.export')}
                </a>
              </div>
            </div>
            <p className="mt-1 text-sm text-slate-700">
              {t('grades.hint')} {exam && t('grades.windowNote', { start: when(exam.startsAt), end: when(exam.endsAt) })}
            </p>
            <p className="mt-1 text-sm text-slate-700" data-testid="grade-sheet-size">
              {t('grades.size', { students: data.matrix.length, exercises: gradedExercises })}
            </p>
          </section>
          <section className="mt-8" aria-labelledby="matrix-heading">
            <h2 id="matrix-heading" className="text-xl font-semibold">
              {t('matrix.heading')}
            </h2>
            <div className="mt-3">
              <ProgressMatrix classId={classroom.id} lessons={matrixLessons} students={matrixStudents} />
            </div>
          </section>
        </>
      )}
    </main>
  )
}

function orPageId(id: string): string {
  const parsed = idParam.safeParse(id)
  // A malformed id cannot be a class: the same 404 as an unknown one.
  return parsed.success ? parsed.data : 'not-a-class'
}
