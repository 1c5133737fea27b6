import clsx from 'clsx'
import type { Metadata } from 'next'
import Link from 'next/link'
import { getLocale, getTranslations } from 'next-intl/server'
import { ScopedIntl } from '@/components/layout/ScopedIntl'
import { HandsOnPanel } from '@/components/lesson/HandsOnPanel'
import { LessonProvider } from '@/components/lesson/LessonContext'
import { LessonHeartbeat } from '@/components/lesson/LessonHeartbeat'
import { MarkReadButton } from '@/components/lesson/MarkReadButton'
import { Pager } from '@/components/lesson/Pager'
import { Toc } from '@/components/lesson/Toc'
import { LessonBody } from '@/components/mdx/LessonBody'
import { Quiz } from '@/components/quiz/Quiz'
import { StatusBadge } from '@/components/ui/StatusBadge'
import { ContentReload } from '@/components/teach/ContentReload'
import { getSessionUser } from '@/lib/auth/session.server'
import { getContentTree, getLesson, loadLessonPage, neighbours, requireCourse, requireLesson } from '@/lib/content/lessons.server'
import { resolveLessonRef } from '@/lib/content/load.server'
import { courseHref, lessonHref } from '@/lib/content/paths'
import { handsOnClientMessages, handsOnSignedOutMessages, lessonClientMessages } from '@/lib/i18n/client-messages'
import { colon } from '@/lib/i18n/punctuation'
import { lessonProgress } from '@/lib/progress/lessons.server'
import { hasWork } from '@/lib/progress/rules'
import { toPublicQuiz } from '@/lib/quiz/public'
import { quizPolicyFor } from '@/lib/quiz/attempts.server'
import { toPublicExercise } from '@/lib/checks/public'
import { getExerciseStates } from '@/lib/progress/exercises.server'
import { ExamBanner } from '@/components/lesson/ExamBanner'
import { activeExamFor, examPublicExercise, examStates } from '@/lib/exams/exams.server'
import { toPublicOpenQuestion } from '@/lib/content/open-questions'
import { ownAnswers } from '@/lib/open-questions/answers.server'
import { keptWarningFor } from '@/lib/workspace/steps.server'

type Props = { params: Promise<{ course: string; lesson: string }> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { course, lesson } = await params
  return { title: getLesson(course, lesson)?.frontmatter?.title }
}

export default async function LessonPage({ params }: Props) {
  const { course: courseSlug, lesson: lessonSlug } = await params
  const course = requireCourse(courseSlug)
  const lesson = requireLesson(courseSlug, lessonSlug)
  const [t, tc, user, page, locale] = await Promise.all([getTranslations('learn'), getTranslations('common'), getSessionUser(), loadLessonPage(lesson), getLocale()])
  const { previous, next } = neighbours(course, lessonSlug)

  const breadcrumb = (
    <nav aria-label={t('lesson.breadcrumb')} className="text-sm text-slate-600">
      <Link href="/" className="underline hover:text-slate-900">
        {tc('nav.catalogue')}
      </Link>
      <span aria-hidden="true"> / </span>
      <Link href={courseHref(course.slug)} className="underline hover:text-slate-900">
        {course.index.title}
      </Link>
    </nav>
  )

  if (!page.ok) {
    return (
      <main className="mx-auto max-w-3xl px-6 py-10">
        {process.env.NODE_ENV === 'development' && <ContentReload lessonKey={lesson.key} />}
        {breadcrumb}
        <div role="alert" className="mt-6 rounded-xl border border-red-300 bg-red-50 p-6">
          <h1 className="text-2xl font-bold text-red-900">{t('lesson.unavailableTitle')}</h1>
          <p className="mt-2 text-red-900">{t('lesson.unavailableBody')}</p>
          {user?.role === 'instructor' && (
            <details className="mt-4 text-sm">
              <summary className="cursor-pointer font-medium">{t('lesson.unavailableDetails')}</summary>
              <ul className="mt-2 list-disc space-y-1 pl-5 font-mono text-xs">
                {page.reasons.map((reason) => (
                  <li key={reason}>{reason}</li>
                ))}
              </ul>
            </details>
          )}
        </div>
        <Pager previous={previous} next={next} />
      </main>
    )
  }

  const { frontmatter } = page.lesson
  const sandbox = frontmatter.sandbox
  const [progress, helpStates, quizPolicy, exam, open, keptWarning] = await Promise.all([
    user ? lessonProgress(user.id, courseSlug, lessonSlug, { markStarted: true }) : null,
    user && sandbox ? getExerciseStates(user.id, courseSlug, lessonSlug, lesson.exercises) : {},
    lesson.quiz ? quizPolicyFor(user?.id ?? null, courseSlug, lesson.quiz) : null,
    user ? activeExamFor(user, courseSlug, lessonSlug) : null,
    // Only lessons with open questions ask (no query on the others).
    user && lesson.openQuestions.length > 0 ? ownAnswers(user, lesson) : null,
    user && sandbox ? keptWarningFor(user.id, courseSlug, lessonSlug) : null,
  ])
  // In an exam (lib/exams/), the browser gets neither hints nor solutions, nor how many hints
  // there are, and the lesson's code blocks lose their "Exécuter" and "Coller" buttons.
  const exerciseStates = exam && user ? await examStates(user.id, courseSlug, lessonSlug, exam, helpStates) : helpStates
  const publicExercises = lesson.exercises.map(toPublicExercise).map((e) => (exam ? examPublicExercise(e) : e))
  const tree = getContentTree()
  const prerequisites = frontmatter.prerequisites
    .map((ref) => resolveLessonRef(tree, courseSlug, ref))
    .filter((l): l is NonNullable<typeof l> => l !== null)
  const withWork = hasWork({ hasQuiz: lesson.quiz !== null, exerciseCount: lesson.exercises.length })

  const article = (
    <article className="min-w-0">
      {process.env.NODE_ENV === 'development' && <ContentReload lessonKey={lesson.key} />}
      {breadcrumb}
      <header className="mt-3">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-3xl font-bold tracking-tight">{frontmatter.title}</h1>
          {progress && <StatusBadge status={progress.status} />}
        </div>
        <p className="mt-2 text-lg text-slate-700">{frontmatter.summary}</p>
        <p className="mt-2 text-sm text-slate-600">{t('lesson.duration', { minutes: frontmatter.duration })}</p>
        {exam && <ExamBanner endsAt={exam.endsAt} />}
        {!user && (
          <p className="mt-4 rounded border border-brand-100 bg-brand-50 px-3 py-2 text-sm">
            {t('lesson.signInToTrack')}{' '}
            <Link className="font-medium text-brand-700 underline" href={`/sign-in?next=${encodeURIComponent(lessonHref(courseSlug, lessonSlug))}`}>
              {t('lesson.signIn')}
            </Link>
          </p>
        )}
        <section className="mt-6 rounded-lg border border-slate-200 bg-slate-50 p-4" aria-labelledby="objectives">
          <h2 id="objectives" className="text-sm font-semibold uppercase tracking-wide text-slate-700">
            {t('lesson.objectives')}
          </h2>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-[0.95rem]">
            {frontmatter.objectives.map((objective) => (
              <li key={objective}>{objective}</li>
            ))}
          </ul>
          {prerequisites.length > 0 && (
            <p className="mt-3 text-sm">
              <span className="font-semibold">{t('lesson.prerequisites')}
                {colon(locale)}{' '}
              </span>
              {prerequisites.map((p, i) => (
                <span key={p.key}>
                  {i > 0 && ', '}
                  <Link className="text-brand-700 underline" href={lessonHref(p.courseSlug, p.slug)}>
                    {p.frontmatter?.title ?? p.slug}
                  </Link>
                </span>
              ))}
            </p>
          )}
        </section>
        {sandbox && sandbox.registryOnly.length > 0 && (
          <p role="note" className="mt-4 rounded border-l-4 border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-900">
            {t('lesson.registryOnly', { images: sandbox.registryOnly.map((r) => r.image).join(', ') })}
          </p>
        )}
      </header>
      {sandbox && page.compiled.toc.length > 0 && (
        <details className="mt-6 rounded-lg border border-slate-200 px-4 py-2">
          <summary className="cursor-pointer text-sm font-semibold">{t('lesson.toc')}</summary>
          <div className="mt-2">
            <Toc entries={page.compiled.toc} title={t('lesson.toc')} />
          </div>
        </details>
      )}
      <div className="mt-8">
        {lesson.openQuestions.length > 0 ? (
          <ScopedIntl namespaces={['common', 'auth', 'learn', 'openQuestions']}>
            <LessonBody code={page.compiled.code} />
          </ScopedIntl>
        ) : (
          <LessonBody code={page.compiled.code} />
        )}
      </div>
      {lesson.quiz && quizPolicy && (
        <Quiz courseSlug={courseSlug} lessonSlug={lessonSlug} quiz={toPublicQuiz(lesson.quiz)} policy={quizPolicy} standing={progress?.quiz ?? null} signedIn={user !== null} />
      )}
      {user && !withWork && <MarkReadButton courseSlug={courseSlug} lessonSlug={lessonSlug} completed={progress?.status === 'completed'} />}
      <Pager previous={previous} next={next} />
    </article>
  )

  // The lesson's client components get only the messages they read (lib/i18n/client-messages.ts).
  return (
    <ScopedIntl namespaces={lessonClientMessages}>
      <LessonProvider
        value={{
          handsOn: Boolean(sandbox),
          runButtons: !exam,
          exercises: lesson.exercises.map(({ id, title }) => ({ id, title })),
          ...(lesson.openQuestions.length > 0 && {
            openQuestions: {
              courseSlug,
              lessonSlug,
              signedIn: user !== null,
              inExam: exam !== null,
              examOver: open?.examOver ?? false,
              questions: lesson.openQuestions.map((q) => ({ question: toPublicOpenQuestion(q), answer: open?.answers[q.id] ?? null })),
            },
          }),
        }}
      >
        {user && <LessonHeartbeat courseSlug={courseSlug} lessonSlug={lessonSlug} />}
        {sandbox ? (
          // From lg, one screen: the body is the window's height (app/globals.css) and each column
          // scrolls on its own. `relative` keeps absolutely positioned text (sr-only) inside its
          // column: positioned against the document, it grew the document past the window, and
          // scrolling a column to its end scrolled the whole page. Below lg the columns stack: the
          // text, then the sandbox at the height of the window under the site header (h-12 + 1px;
          // signed out, the panel is only a sign-in link).
          <main className="grid grid-cols-1 lg:h-full lg:grid-cols-2 lg:grid-rows-[minmax(0,1fr)]" data-hands-on="true">
            <div className="relative min-w-0 px-6 py-8 lg:overflow-y-auto lg:overscroll-contain xl:px-10">{article}</div>
            <div className={clsx('relative min-w-0 border-t border-slate-200 lg:h-auto lg:min-h-0 lg:border-l lg:border-t-0', user && 'h-[calc(100dvh-3rem-1px)]')}>
              <ScopedIntl namespaces={user ? handsOnClientMessages.paths : handsOnSignedOutMessages} omit={user ? handsOnClientMessages.omit : []}>
                <HandsOnPanel
                  courseSlug={courseSlug}
                  lessonSlug={lessonSlug}
                  nodes={sandbox.nodes}
                  signedIn={user !== null}
                  exercises={publicExercises}
                  exerciseStates={exerciseStates}
                  exam={exam ? { endsAt: exam.endsAt } : null}
                  keptWarning={keptWarning}
                />
              </ScopedIntl>
            </div>
          </main>
        ) : (
          <main className="mx-auto grid max-w-6xl grid-cols-1 gap-10 px-6 py-10 lg:grid-cols-[minmax(0,1fr)_15rem]">
            {article}
            <aside className="hidden lg:block">
              <div className="sticky top-20">
                <Toc entries={page.compiled.toc} title={t('lesson.toc')} />
              </div>
            </aside>
          </main>
        )}
      </LessonProvider>
    </ScopedIntl>
  )
}
