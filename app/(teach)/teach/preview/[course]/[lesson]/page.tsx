import type { Metadata } from 'next'
import Link from 'next/link'
import path from 'node:path'
import { notFound } from 'next/navigation'
import { getLocale, getTranslations } from 'next-intl/server'
import { InlineMarkdown, Markdown } from '@/components/exercises/Markdown'
import { LessonProvider } from '@/components/lesson/LessonContext'
import { LessonBody } from '@/components/mdx/LessonBody'
import { ScopedIntl } from '@/components/layout/ScopedIntl'
import { ContentReload } from '@/components/teach/ContentReload'
import { RunSolutionButton } from '@/components/teach/RunSolutionButton'
import { requirePageUser } from '@/lib/auth/session.server'
import { checksAsYaml } from '@/lib/authoring/preview.server'
import { describeKey } from '@/lib/classes/quiz-display'
import { getContentTree, loadLessonPage } from '@/lib/content/lessons.server'
import { lessonHref } from '@/lib/content/paths'
import { colon } from '@/lib/i18n/punctuation'

type Props = { params: Promise<{ course: string; lesson: string }> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { course, lesson } = await params
  return { title: `${(await getTranslations('teach.preview'))('title')} · ${course}/${lesson}` }
}

/**
 * The authoring preview: the lesson as learners see it, then everything they never receive
 * (quiz keys, hints, solutions, setup, checks). Instructors only, on the server; lessons
 * whose files have problems are shown with them rather than hidden.
 */
export default async function PreviewLessonPage({ params }: Props) {
  const { course: courseSlug, lesson: lessonSlug } = await params
  await requirePageUser(`/teach/preview/${courseSlug}/${lessonSlug}`, 'instructor')
  const tree = getContentTree()
  const lesson = tree.courses.find((c) => c.slug === courseSlug)?.lessons.find((l) => l.slug === lessonSlug)
  if (!lesson) notFound()
  const [t, page, locale] = await Promise.all([getTranslations('teach.preview'), loadLessonPage(lesson), getLocale()])
  const dev = process.env.NODE_ENV === 'development'

  return (
    <LessonProvider
      value={{
        handsOn: Boolean(lesson.frontmatter?.sandbox),
        runButtons: true,
        exercises: lesson.exercises.map(({ id, title }) => ({ id, title })),
        // Each open question with its whole rubric (also one kept from learners: the card says so).
        ...(lesson.openQuestions.length > 0 && {
          openQuestions: {
            courseSlug,
            lessonSlug,
            signedIn: false,
            preview: true,
            inExam: false,
            examOver: false,
            questions: lesson.openQuestions.map((q) => ({ question: q, answer: null })),
          },
        }),
      }}
    >
      {dev && <ContentReload lessonKey={lesson.key} />}
      <main className="mx-auto max-w-4xl px-6 py-10">
        <nav className="flex flex-wrap gap-4 text-sm">
          <Link href="/teach/preview" className="text-slate-600 underline hover:text-slate-900">
            {t('title')}
          </Link>
          <Link href={lessonHref(courseSlug, lessonSlug)} className="text-brand-700 underline">
            {t('learnerView')}
          </Link>
        </nav>
        <h1 className="mt-2 text-3xl font-bold tracking-tight">{lesson.frontmatter?.title ?? lesson.slug}</h1>
        <p className="mt-1 font-mono text-xs text-slate-600">{path.relative(tree.root, lesson.mdxPath)}</p>
        {dev && <p className="mt-2 text-sm text-emerald-800">{t('devReload')}</p>}

        {!page.ok && (
          <section role="alert" className="mt-6 rounded-xl border border-red-300 bg-red-50 p-5 text-red-900">
            <h2 className="font-semibold">{t('problems')}</h2>
            <ul className="mt-2 list-disc space-y-1 pl-5 font-mono text-xs">
              {page.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          </section>
        )}
        {page.ok && (
          <div className="mt-8">
            {lesson.openQuestions.length > 0 ? (
              <ScopedIntl namespaces={['common', 'auth', 'learn', 'teach', 'openQuestions']}>
                <LessonBody code={page.compiled.code} />
              </ScopedIntl>
            ) : (
              <LessonBody code={page.compiled.code} />
            )}
          </div>
        )}

        {lesson.quiz && (
          <section className="mt-10 rounded-xl border border-amber-300 bg-amber-50/40 p-5" aria-labelledby="key-heading" data-testid="answer-key">
            <h2 id="key-heading" className="text-xl font-semibold">
              {t('answerKey')}
            </h2>
            <p className="text-sm text-slate-700">{t('passing', { percent: lesson.quiz.passingScore })}</p>
            <ol className="mt-4 list-decimal space-y-4 pl-5">
              {lesson.quiz.questions.map((q) => (
                <li key={q.id} data-question={q.id}>
                  <p className="font-medium">
                    <InlineMarkdown source={q.prompt} /> <span className="font-mono text-xs font-normal text-slate-600">({q.id} · {q.type})</span>
                  </p>
                  {q.type !== 'short' && (
                    <ul className="mt-1 text-sm">
                      {q.choices.map((c) => {
                        const right = q.type === 'single' ? q.answer === c.id : q.answer.includes(c.id)
                        return (
                          <li key={c.id} className={right ? 'font-semibold text-emerald-800' : 'text-slate-700'}>
                            <span aria-hidden="true">{right ? '✓ ' : '· '}</span>
                            <InlineMarkdown source={c.text} />
                          </li>
                        )
                      })}
                    </ul>
                  )}
                  <p className="mt-1 text-sm">
                    <span className="font-semibold">
                      {t('answer')}
                      {colon(locale)}
                    </span>{' '}
                    {describeKey(q)}
                    {q.type === 'short' && q.caseSensitive && ` (${t('caseSensitive')})`}
                  </p>
                  <p className="text-sm text-slate-700">
                    <span className="font-semibold">
                      {t('explanation')}
                      {colon(locale)}
                    </span>{' '}
                    <InlineMarkdown source={q.explanation} />
                  </p>
                </li>
              ))}
            </ol>
          </section>
        )}

        {lesson.exercises.length > 0 && (
          <section className="mt-10" aria-labelledby="exercises-heading">
            <h2 id="exercises-heading" className="text-xl font-semibold">
              {t('exercisesHeading')}
            </h2>
            <ol className="mt-4 space-y-6">
              {lesson.exercises.map((exercise) => {
                const checks = checksAsYaml(exercise)
                return (
                  <li key={exercise.id} className="rounded-xl border border-slate-200 p-5" data-exercise={exercise.id}>
                    <h3 className="text-lg font-semibold">
                      {exercise.title} <span className="font-mono text-xs font-normal text-slate-600">{exercise.id}</span>
                    </h3>
                    <p className="text-xs text-slate-600">
                      {exercise.node && `${t('node', { node: exercise.node })} · `}
                      {t('timeout', { seconds: exercise.timeoutSeconds })}
                      {exercise.registryOnly && exercise.registryOnly.length > 0 && ` · ${t('registryOnly', { images: exercise.registryOnly.map((r) => r.image).join(', ') })}`}
                    </p>
                    <div className="mt-2 text-sm">
                      <Markdown source={exercise.instructions} />
                    </div>
                    {exercise.hints.length > 0 && (
                      <>
                        <h4 className="mt-3 text-sm font-semibold">{t('hints')}</h4>
                        <ol className="list-decimal pl-5 text-sm">
                          {exercise.hints.map((hint) => (
                            <li key={hint}>{hint}</li>
                          ))}
                        </ol>
                      </>
                    )}
                    <h4 className="mt-3 text-sm font-semibold">{t('solution')}</h4>
                    <pre className="mt-1 overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100" data-testid="solution">
                      {exercise.solution}
                    </pre>
                    {exercise.setup && (
                      <>
                        <h4 className="mt-3 text-sm font-semibold">{t('setup')}</h4>
                        <pre className="mt-1 overflow-x-auto rounded bg-slate-100 p-3 text-xs">{exercise.setup}</pre>
                      </>
                    )}
                    <details className="mt-3">
                      <summary className="cursor-pointer text-sm font-semibold">{t('checks', { count: checks.length })}</summary>
                      <ol className="mt-2 space-y-2">
                        {checks.map((yaml, i) => (
                          <li key={i}>
                            <pre className="overflow-x-auto rounded bg-slate-100 p-2 text-xs">{yaml}</pre>
                            {(exercise.checks[i]!.kind === 'command' || exercise.checks[i]!.kind === 'script') && <p className="text-xs text-amber-900">{t('runCommand')}</p>}
                          </li>
                        ))}
                      </ol>
                    </details>
                    <RunSolutionButton courseSlug={courseSlug} lessonSlug={lessonSlug} exerciseId={exercise.id} />
                  </li>
                )
              })}
            </ol>
          </section>
        )}
      </main>
    </LessonProvider>
  )
}
