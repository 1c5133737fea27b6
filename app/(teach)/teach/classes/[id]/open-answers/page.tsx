import type { Metadata } from 'next'
import Link from 'next/link'
import { notFound } from 'next/navigation'
import { getFormatter, getTranslations } from 'next-intl/server'
import { InlineMarkdown } from '@/components/exercises/Markdown'
import { OpenAnswerGrader } from '@/components/teach/OpenAnswerGrader'
import { TeachIntl } from '@/components/teach/TeachIntl'
import { requirePageUser } from '@/lib/auth/session.server'
import { orPage } from '@/lib/classes/http.server'
import { idParam } from '@/lib/classes/schemas'
import { lessonHref } from '@/lib/content/paths'
import { openApi, questionKey } from '@/lib/open-questions/api'
import { answerQueue, openQuestionsOverview } from '@/lib/open-questions/grading.server'

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ question?: string | string[] }> }

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('openQuestions.teach'))('title') }
}

// The class's open questions and, for the one chosen (?question=course/lesson/id), the answers
// handed in, each with its grading form. A page of its own, linked from the class's section
// navigation (layout.tsx), so that the dashboard's own render stays as it is.
export default async function OpenAnswersPage({ params, searchParams }: Props) {
  const { id } = await params
  const { question } = await searchParams
  const user = await requirePageUser(`/teach/classes/${id}/open-answers`, 'instructor')
  const classId = idParam.safeParse(id).data ?? 'not-a-class'
  const overview = await orPage(openQuestionsOverview(classId, user))
  const key = typeof question === 'string' ? questionKey.safeParse(question).data : undefined
  if (question !== undefined && (!key || !overview.questions.some((q) => q.key === key))) notFound()
  const queue = key ? await orPage(answerQueue(classId, user, key)) : null
  const [t, format] = await Promise.all([getTranslations('openQuestions.teach'), getFormatter()])
  const when = (iso: string) => format.dateTime(new Date(iso), { dateStyle: 'medium', timeStyle: 'short' })
  const size = (bytes: number) => (bytes < 1024 * 1024 ? format.number(Math.max(1, Math.round(bytes / 1024)), { style: 'unit', unit: 'kilobyte' }) : format.number(Math.round(bytes / 104857.6) / 10, { style: 'unit', unit: 'megabyte' }))
  const base = `/teach/classes/${classId}/open-answers`

  return (
    <main className="mx-auto max-w-4xl px-6 py-8">
      <h1 className="text-3xl font-bold tracking-tight">{t('heading', { name: overview.className })}</h1>
      {!queue ? (
        <>
          <p className="mt-2 text-slate-700">{t('intro')}</p>
          {overview.questions.length === 0 ? (
            <p className="mt-6">{t('none')}</p>
          ) : (
            <>
              <p className="mt-4">
                <a href={openApi.csv(classId)} download className="rounded border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-50" title={t('csvHint')}>
                  {t('csv')}
                </a>
              </p>
              <ul className="mt-6 divide-y divide-slate-200" data-testid="open-questions">
                {overview.questions.map((q) => (
                  <li key={q.key} className="py-3" data-question={q.key}>
                    <Link href={`${base}?question=${encodeURIComponent(q.key)}`} className="font-medium text-brand-700 underline">
                      {q.question.title}
                    </Link>
                    <span className="text-sm text-slate-600">
                      {' '}
                      · {q.courseTitle} — {q.lessonTitle}
                    </span>
                    <p className="text-sm">{t('counts', { toGrade: q.toGrade, graded: q.graded })}</p>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      ) : (
        <>
          <nav aria-label={t('back')} className="mt-2 text-sm">
            <Link href={base} className="text-slate-600 underline hover:text-slate-900">
              {t('back')}
            </Link>
          </nav>
          <h2 className="mt-4 text-xl font-semibold">{t('queueHeading', { question: queue.question.question.title, lesson: queue.question.lessonTitle })}</h2>
          <p className="mt-2">
            <InlineMarkdown source={queue.question.question.prompt} />{' '}
            <Link className="text-sm text-brand-700 underline" href={lessonHref(queue.question.courseSlug, queue.question.lessonSlug)}>
              {queue.question.lessonTitle}
            </Link>
          </p>
          <details className="mt-3 rounded border border-slate-200 p-3 text-sm" open>
            <summary className="cursor-pointer font-medium">{t('rubric')}</summary>
            <ul className="mt-2 space-y-1">
              {queue.question.question.rubric.map((c) => (
                <li key={c.id}>
                  <span className="font-medium">{t('criterion', { label: c.label, max: c.points })}</span> — <InlineMarkdown source={c.description} />
                </li>
              ))}
            </ul>
          </details>
          {queue.answers.length === 0 ? (
            <p className="mt-6">{t('queueEmpty')}</p>
          ) : (
            <TeachIntl namespaces={['common', 'openQuestions']}>
              <ol className="mt-6 space-y-6" data-testid="open-answers">
                {queue.answers.map((a) => (
                  <li key={a.id} className="rounded-lg border border-slate-300 p-4" data-answer={a.id} data-student={a.student.id}>
                    <p className="font-medium">
                      {t('student', { name: a.student.name, email: a.student.email })}{' '}
                      <span className="rounded bg-slate-100 px-2 py-0.5 text-xs">{a.status === 'graded' ? t('statusGraded') : t('statusSubmitted')}</span>
                    </p>
                    <p className="text-sm text-slate-600">
                      {a.submittedAt && t('submitted', { date: when(a.submittedAt) })} · {t('submissions', { count: a.submissions })}
                      {!a.inExamWindow && <span className="ml-2 font-medium text-amber-800">{t('outsideExam')}</span>}
                    </p>
                    {a.text ? <p className="mt-2 whitespace-pre-wrap rounded bg-white p-3 text-sm ring-1 ring-slate-200" data-testid="answer-text">{a.text}</p> : <p className="mt-2 text-sm text-slate-600">{t('noText')}</p>}
                    {a.file && (
                      <div className="mt-2 text-sm">
                        <a href={a.file.url} download className="text-brand-700 underline">
                          {t('file', { name: a.file.name, size: size(a.file.size) })}
                        </a>
                        {a.file.contentType.startsWith('image/') && (
                          <img src={a.file.url} alt={a.file.name} className="mt-2 max-h-96 rounded border border-slate-200" />
                        )}
                      </div>
                    )}
                    <OpenAnswerGrader classId={classId} answer={a} rubric={queue.question.question.rubric} maxPoints={queue.question.question.points} />
                  </li>
                ))}
              </ol>
            </TeachIntl>
          )}
        </>
      )}
    </main>
  )
}
