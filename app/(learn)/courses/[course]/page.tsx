import type { Metadata } from 'next'
import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { ProgressBar } from '@/components/ui/ProgressBar'
import { StatusBadge } from '@/components/ui/StatusBadge'
import { getSessionUser } from '@/lib/auth/session.server'
import { getCourse, requireCourse } from '@/lib/content/lessons.server'
import { lessonHref } from '@/lib/content/paths'
import { lessonStatuses } from '@/lib/progress/lessons.server'
import { coursePercent } from '@/lib/progress/rules'
import { keptWorkOf } from '@/lib/sandbox/kept.server'

type Props = { params: Promise<{ course: string }> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: getCourse((await params).course)?.index.title }
}

export default async function CoursePage({ params }: Props) {
  const course = requireCourse((await params).course)
  const [t, tc, user] = await Promise.all([getTranslations('learn'), getTranslations('common'), getSessionUser()])
  const [statuses, kept, format] = await Promise.all([user ? lessonStatuses(user.id, course.slug) : null, user ? keptWorkOf(user.id) : [], getFormatter()])
  const statusOf = (key: string) => statuses?.get(key) ?? 'not-started'
  // The learner's kept sandbox of a lesson (its own, or the course's when they share one).
  const keptOf = (key: string) => kept.find((k) => k.status === 'kept' && (k.scopeKey === `lesson:${key}` || (k.scopeKey === `course:${course.slug}` && k.lessonKey === key)))
  const now = new Date()
  return (
    <main className="mx-auto max-w-4xl px-6 py-10">
      <nav aria-label={t('lesson.breadcrumb')} className="text-sm text-slate-600">
        <Link href="/" className="underline hover:text-slate-900">
          {tc('nav.catalogue')}
        </Link>
      </nav>
      <h1 className="mt-2 text-3xl font-bold tracking-tight">{course.index.title}</h1>
      <p className="mt-3 text-lg text-slate-700">{course.index.summary}</p>
      {statuses && (
        <div className="mt-5 max-w-md">
          <ProgressBar percent={coursePercent(course.lessons.map((l) => statusOf(l.key)))} label={t('progress.progressLabel', { title: course.index.title })} />
        </div>
      )}
      <h2 className="mt-10 text-lg font-semibold">{t('course.lessonsHeading')}</h2>
      <ol className="mt-4 space-y-3">
        {course.lessons.map((lesson, i) => {
          const broken = lesson.problems.length > 0 || !lesson.frontmatter
          return (
            <li key={lesson.slug} className="relative flex items-start gap-4 rounded-lg border border-slate-200 p-4 hover:border-brand-600" data-lesson={lesson.slug}>
              <span aria-hidden="true" className="mt-0.5 flex h-7 w-7 shrink-0 items-center justify-center rounded-full bg-slate-100 text-sm font-semibold text-slate-700">
                {i + 1}
              </span>
              <div className="min-w-0 flex-1">
                <h3 className="font-semibold">
                  <Link href={lessonHref(course.slug, lesson.slug)} className="after:absolute after:inset-0 hover:text-brand-700">
                    {lesson.frontmatter?.title ?? lesson.slug}
                  </Link>
                </h3>
                <p className="mt-1 text-sm text-slate-700">{broken ? t('course.brokenHint') : lesson.frontmatter?.summary}</p>
                {!broken && (
                  <p className="mt-1 text-xs text-slate-600">
                    {lesson.frontmatter?.sandbox ? t('course.handsOn') : t('course.reading')} · {tc('minutes', { count: lesson.frontmatter?.duration ?? 0 })}
                  </p>
                )}
                {(() => {
                  const work = keptOf(lesson.key)
                  if (!work) return null
                  return (
                    <p className={`mt-1 text-xs ${work.expiresSoon ? 'font-medium text-amber-800' : 'text-slate-600'}`} data-kept-work={work.expiresSoon ? 'expires-soon' : 'kept'}>
                      {work.expiresSoon && work.expiresAt
                        ? t('course.keptExpiresSoon', { mb: work.keptMb, when: format.relativeTime(new Date(work.expiresAt), now) })
                        : t('course.kept', { mb: work.keptMb })}
                    </p>
                  )
                })()}
              </div>
              {user && <StatusBadge status={broken ? 'broken' : statusOf(lesson.key)} />}
            </li>
          )
        })}
      </ol>
    </main>
  )
}
