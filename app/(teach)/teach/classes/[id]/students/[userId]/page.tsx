import type { Metadata } from 'next'
import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { InlineMarkdown } from '@/components/exercises/Markdown'
import { formatDuration } from '@/components/teach/format'
import { ConfirmedButton, RemoveButton } from '@/components/teach/RemoveButton'
import { StatusBadge } from '@/components/ui/StatusBadge'
import { requirePageUser } from '@/lib/auth/session.server'
import { orPage } from '@/lib/classes/http.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'
import { attemptsPerExercise, getStudentReport, type ExerciseReport, type LessonReport } from '@/lib/classes/student.server'
import { lessonHref } from '@/lib/content/paths'
import { examReviewOf } from '@/lib/exams/review.server'
import { studentWork } from '@/lib/classes/student-work.server'
import { percentOf } from '@/lib/open-questions/rules'
import { studentOpenAnswers } from '@/lib/open-questions/student.server'
import { colon } from '@/lib/i18n/punctuation'
import { KeptDownloadButton, type KeptDownloadLabels } from '@/components/workspace/KeptDownloadButton'
import { studentKeptArchive } from '@/lib/workspace/api'

type Props = { params: Promise<{ id: string; userId: string }> }

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach'))('title') }
}

const safeId = (value: string) => idParam.safeParse(value).data ?? 'not-an-id'

export default async function StudentPage({ params }: Props) {
  const { id, userId } = await params
  const user = await requirePageUser(`/teach/classes/${id}/students/${userId}`, 'instructor')
  const locale = await readerLocale()
  const [report, review, work, openAnswers] = await orPage(
    Promise.all([
      getStudentReport(safeId(id), user, safeId(userId), locale),
      examReviewOf(safeId(id), user, safeId(userId)),
      studentWork(safeId(id), user, safeId(userId)),
      studentOpenAnswers(safeId(id), user, safeId(userId)),
    ]),
  )
  const [t, tt, format] = await Promise.all([getTranslations('teach'), getTranslations('teach.time'), getFormatter()])
  const when = (date: Date) => format.dateTime(date, { dateStyle: 'medium', timeStyle: 'short' })
  const lastSeen = report.lessons.reduce<Date | null>((max, l) => (l.lastSeenAt && (!max || l.lastSeenAt > max) ? l.lastSeenAt : max), null)
  const active = report.lessons.filter((l) => l.status !== 'not-started')
  const untouched = report.lessons.filter((l) => l.status === 'not-started')

  const exercise = (e: ExerciseReport) => (
    <li key={e.id} className="rounded-lg border border-slate-200 p-4" data-exercise={e.id}>
      <p className="font-medium">
        {e.title}{' '}
        <span className="font-normal text-slate-600">
          · {t('student.exerciseStatus', { attempts: e.attempts })}
          {e.completedAt && ` · ${t('student.exerciseCompleted', { date: when(e.completedAt) })}`}
        </span>
      </p>
      {e.events.length === 0 ? (
        <p className="mt-1 text-sm text-slate-600">{t('student.noHelp')}</p>
      ) : (
        <ul className="mt-1 space-y-0.5 text-sm" data-testid="help-events">
          {e.events.map((event, i) => (
            <li key={i}>
              {event.kind === 'hint' ? t('student.hint', { n: (event.hintIndex ?? 0) + 1, date: when(event.createdAt) }) : t('student.solution', { date: when(event.createdAt) })}
              {event.text && <span className="text-slate-600"> — « {event.text} »</span>}
            </li>
          ))}
        </ul>
      )}
      {e.recentAttempts.length > 0 && (
        <ol className="mt-3 space-y-2" data-testid="attempts">
          {e.recentAttempts.map((a, i) => (
            <li key={a.id}>
              <details open={i === 0} className="rounded border border-slate-200">
                <summary className={`cursor-pointer px-3 py-1.5 text-sm font-medium ${a.passed ? 'text-emerald-800' : 'text-red-800'}`}>
                  <span aria-hidden="true">{a.passed ? '✓ ' : '✗ '}</span>
                  {t('student.attempt', { date: when(a.createdAt), passed: a.passedCount, total: a.totalCount })}
                  <span className="font-normal text-slate-600"> · {a.trigger === 'live' ? t('student.trigger.live') : t('student.trigger.manual')}</span>
                </summary>
                <ul className="space-y-0.5 px-3 pb-2 text-sm">
                  {a.assertions.map((assertion) => (
                    <li key={assertion.id} className={assertion.passed ? 'text-emerald-900' : assertion.pending ? 'text-slate-600' : 'text-red-900'} data-assertion={assertion.id}>
                      <span aria-hidden="true">{assertion.passed ? '✓' : assertion.pending ? '…' : '✗'} </span>
                      <span className="sr-only">{assertion.passed ? t('student.passedAssertion') : assertion.pending ? t('student.pending') : t('student.failedAssertion')} : </span>
                      {assertion.message}
                    </li>
                  ))}
                </ul>
              </details>
            </li>
          ))}
        </ol>
      )}
      {e.attempts > attemptsPerExercise && <p className="mt-2 text-xs text-slate-600">{t('student.olderAttempts', { count: attemptsPerExercise })}</p>}
    </li>
  )

  const lesson = (l: LessonReport) => (
    <section key={l.key} className="rounded-xl border border-slate-200 p-5" aria-labelledby={`lesson-${l.key}`} data-lesson={l.key}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id={`lesson-${l.key}`} className="text-lg font-semibold">
          <Link href={lessonHref(l.courseSlug, l.lessonSlug)} className="hover:text-brand-700">
            {l.title}
          </Link>{' '}
          <span className="text-sm font-normal text-slate-600">· {l.courseTitle}</span>
        </h2>
        <StatusBadge status={l.status} />
      </div>
      <p className="mt-1 text-sm text-slate-700">
        {t('student.lessonTime', { time: formatDuration(l.activeSeconds, tt) })}
        {l.startedAt && ` · ${t('student.started', { date: when(l.startedAt) })}`}
        {l.completedAt && ` · ${t('student.completed', { date: when(l.completedAt) })}`}
      </p>
      {l.quizAttempts.length > 0 && (
        <div className="mt-4">
          <h3 className="font-semibold">{t('student.quizHeading')}</h3>
          {l.quizAttempts.map((q, i) => (
            <details key={q.id} open={i === 0} className="mt-2 rounded border border-slate-200" data-testid="quiz-attempt">
              <summary className="cursor-pointer px-3 py-1.5 text-sm font-medium">{t('student.quizAttempt', { date: when(q.createdAt), score: q.score, max: q.maxScore, percent: q.percent })}</summary>
              <div className="overflow-x-auto px-3 pb-2">
                <table className="min-w-full text-left text-sm">
                  <thead className="text-xs uppercase tracking-wide text-slate-600">
                    <tr>
                      <th scope="col" className="py-1 pr-3">
                        {t('student.question')}
                      </th>
                      <th scope="col" className="py-1 pr-3">
                        {t('student.given')}
                      </th>
                      <th scope="col" className="py-1 pr-3">
                        {t('student.expected')}
                      </th>
                      <th scope="col" className="py-1">
                        {t('student.result')}
                      </th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100 align-top">
                    {q.answers.map((a) => (
                      <tr key={a.questionId} data-question={a.questionId}>
                        <th scope="row" className="py-1 pr-3 font-normal">
                          <InlineMarkdown source={a.prompt} />
                        </th>
                        <td className="py-1 pr-3">{a.given || <span className="text-slate-600">{t('student.unanswered')}</span>}</td>
                        <td className="py-1 pr-3 text-slate-700">{a.expected}</td>
                        <td className={`py-1 font-medium ${a.correct ? 'text-emerald-800' : 'text-red-800'}`}>{a.correct ? t('student.correct') : a.given ? t('student.incorrect') : t('student.unanswered')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          ))}
        </div>
      )}
      {l.exercises.length > 0 && (
        <div className="mt-4">
          <h3 className="font-semibold">{t('student.exercisesHeading')}</h3>
          <ul className="mt-2 space-y-3">{l.exercises.map(exercise)}</ul>
        </div>
      )}
    </section>
  )

  return (
    <main className="mx-auto max-w-5xl px-6 py-8">
      <nav aria-label={t('student.back', { name: report.classroom.name })} className="text-sm">
        <Link href={`/teach/classes/${report.classroom.id}`} className="text-slate-600 underline hover:text-slate-900">
          {t('student.back', { name: report.classroom.name })}
        </Link>
      </nav>
      <div className="mt-2 flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-3xl font-bold tracking-tight">{report.student.name}</h1>
          <p className="mt-1 text-sm text-slate-700">
            {report.student.email} · {t('student.joined', { date: format.dateTime(report.student.joinedAt, { dateStyle: 'medium' }) })} ·{' '}
            {t('student.totalTime', { time: formatDuration(report.totalActiveSeconds, tt) })}
            {lastSeen && ` · ${t('student.lastSeen', { date: when(lastSeen) })}`}
          </p>
        </div>
        <RemoveButton
          url={`/api/classes/${report.classroom.id}/members/${report.student.id}`}
          label={t('student.remove')}
          confirm={t('student.removeConfirm', { name: report.student.name })}
          then={`/teach/classes/${report.classroom.id}`}
        />
      </div>
      {review.exam && (
        <section className="mt-6 rounded-xl border-2 border-amber-400 p-5" aria-labelledby="exam-review" data-testid="exam-review">
          <h2 id="exam-review" className="text-lg font-semibold">
            {t('student.examHeading', { start: when(new Date(review.exam.startsAt)), end: when(new Date(review.exam.endsAt)) })}
          </h2>
          <p className="mt-1 text-sm text-slate-700">{t('student.examIntro')}</p>
          {review.runs.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">{t('student.examNone')}</p>
          ) : (
            <ol className="mt-2 space-y-0.5 text-sm">
              {review.runs.map((r) => (
                <li key={r.id} className={r.passed ? 'text-emerald-900' : 'text-slate-900'}>
                  <span aria-hidden="true">{r.passed ? '✓ ' : '✗ '}</span>
                  {t('student.examRun', {
                    time: format.dateTime(r.at, { timeStyle: 'medium' }),
                    lesson: r.lessonTitle,
                    exercise: r.exerciseTitle,
                    passed: r.passedCount,
                    total: r.totalCount,
                    grade: r.grade ?? 0,
                  })}
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
      {openAnswers.length > 0 && (
        <section className="mt-6 rounded-xl border border-slate-200 p-5" aria-labelledby="open-answers" data-testid="student-open-answers">
          <h2 id="open-answers" className="text-lg font-semibold">
            {t('student.openAnswers.title')}
          </h2>
          <ul className="mt-2 space-y-3 text-sm">
            {openAnswers.map((a) => (
              <li key={`${a.courseSlug}/${a.lessonSlug}/${a.questionId}`} data-open-answer={`${a.courseSlug}/${a.lessonSlug}/${a.questionId}`}>
                <p>
                  <span className="font-medium">{a.questionTitle}</span>
                  <span className="text-slate-600">
                    {' '}
                    · {a.lessonTitle} · {a.courseTitle}
                  </span>
                </p>
                <p className="text-slate-700" data-testid="open-answer-status">
                  {a.status === 'draft'
                    ? t('student.openAnswers.status.draft')
                    : t(a.status === 'graded' ? 'student.openAnswers.status.graded' : 'student.openAnswers.status.submitted', { date: a.submittedAt ? when(a.submittedAt) : '—' })}
                </p>
                {a.grade && (
                  <>
                    <p className="font-medium" data-testid="open-answer-grade">
                      {t('student.openAnswers.grade', { points: a.grade.points, max: a.grade.maxPoints, percent: percentOf(a.grade.points, a.grade.maxPoints) })}
                    </p>
                    <p className="whitespace-pre-wrap text-slate-700" data-testid="open-answer-feedback">
                      {a.grade.feedback ? t('student.openAnswers.feedback', { feedback: a.grade.feedback }) : t('student.openAnswers.noFeedback')}
                    </p>
                  </>
                )}
                {a.status !== 'draft' && (
                  <Link href={`/teach/classes/${report.classroom.id}/open-answers?question=${encodeURIComponent(`${a.courseSlug}/${a.lessonSlug}/${a.questionId}`)}`} className="text-brand-700 underline">
                    {a.status === 'graded' ? t('student.openAnswers.regradeLink') : t('student.openAnswers.gradeLink')}
                  </Link>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {(work.kept.length > 0 || work.steps.length > 0) && (
        <section className="mt-6 rounded-xl border border-slate-200 p-5" aria-labelledby="student-work" data-testid="student-work">
          <h2 id="student-work" className="text-lg font-semibold">
            {t('student.work.title')}
          </h2>
          <ul className="mt-2 space-y-0.5 text-sm">
            {work.kept.map((k) => (
              <li key={k.scopeKey} data-kept-lesson={k.lessonKey ?? ''} className="flex flex-wrap items-center gap-2">
                <span>
                  {k.lessonKey ?? k.scopeKey} · {k.status === 'kept' ? t('student.work.kept', { mb: k.keptMb, date: when(new Date(k.lastUsedAt)) }) : t('student.work.running')}
                </span>
                {k.status === 'kept' && k.lessonKey?.includes('/') && (
                  <KeptDownloadButton
                    href={studentKeptArchive(id, userId, ...(k.lessonKey.split('/') as [string, string]))}
                    labels={{ label: t('student.work.download'), busy: t('student.work.downloading'), errors: t.raw('student.work.downloadErrors') as KeptDownloadLabels['errors'] }}
                    className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
                  />
                )}
              </li>
            ))}
          </ul>
          {work.steps.length > 0 && (
            <>
              <p className="mt-3 text-sm text-slate-700">{t('student.work.stepsIntro')}</p>
              <ol className="mt-1 space-y-1 text-sm">
                {work.steps.map((step) => (
                  <li key={step.id} className="flex flex-wrap items-center gap-3" data-step={step.exerciseId}>
                    <span>
                      {step.lessonKey} · {step.exerciseId} · {when(new Date(step.createdAt))}
                    </span>
                    <ConfirmedButton
                      url={`/api/classes/${report.classroom.id}/students/${report.student.id}/steps/${step.id}/restore`}
                      method="POST"
                      json={{ confirm: true }}
                      danger={false}
                      label={t('student.work.restore')}
                      confirm={t('student.work.restoreConfirm', { name: report.student.name, exercise: step.exerciseId })}
                    />
                  </li>
                ))}
              </ol>
            </>
          )}
        </section>
      )}
      <div className="mt-6 space-y-6">{active.map(lesson)}</div>
      {untouched.length > 0 && (
        <p className="mt-6 text-sm text-slate-600">
          {t('student.notStarted')}
          {colon(locale)} {untouched.map((l) => l.title).join(' · ')}
        </p>
      )}
    </main>
  )
}
