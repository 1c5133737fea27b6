import type { Metadata } from 'next'
import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { ProgressBar } from '@/components/ui/ProgressBar'
import { StatusBadge } from '@/components/ui/StatusBadge'
import { requirePageUser } from '@/lib/auth/session.server'
import { listCourses } from '@/lib/content/lessons.server'
import { courseHref, lessonHref } from '@/lib/content/paths'
import { bestQuizScores, lessonStatuses } from '@/lib/progress/lessons.server'
import { coursePercent } from '@/lib/progress/rules'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('learn.progress'))('title') }
}

export default async function ProgressPage() {
  const user = await requirePageUser('/progress')
  const [t, statuses, scores] = await Promise.all([getTranslations('learn.progress'), lessonStatuses(user.id), bestQuizScores(user.id)])
  const courses = listCourses()
  return (
    <main className="mx-auto max-w-4xl px-6 py-10">
      <h1 className="text-3xl font-bold tracking-tight">{t('title')}</h1>
      <p className="mt-2 text-slate-700">{t('intro')}</p>
      {statuses.size === 0 && (
        <p className="mt-6 rounded bg-slate-50 px-4 py-3">
          {t('noActivity')}{' '}
          <Link href="/" className="font-medium text-brand-700 underline">
            {t('start')}
          </Link>
        </p>
      )}
      <ul className="mt-8 space-y-6">
        {courses.map((course) => {
          const lessonStatusList = course.lessons.map((l) => statuses.get(l.key) ?? 'not-started')
          const done = lessonStatusList.filter((s) => s === 'completed').length
          return (
            <li key={course.slug} className="rounded-xl border border-slate-200 p-5" data-course={course.slug}>
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <h2 className="text-lg font-semibold">
                  <Link href={courseHref(course.slug)} className="hover:text-brand-700">
                    {course.index.title}
                  </Link>
                </h2>
                <p className="text-sm text-slate-700" data-testid="course-progress-text">
                  {t('course', { done, total: course.lessons.length })}
                </p>
              </div>
              <div className="mt-3">
                <ProgressBar percent={coursePercent(lessonStatusList)} label={t('progressLabel', { title: course.index.title })} />
              </div>
              <ul className="mt-4 divide-y divide-slate-100 text-sm">
                {course.lessons.map((lesson, i) => {
                  const score = scores.get(lesson.key)
                  return (
                    <li key={lesson.slug} className="flex items-center justify-between gap-3 py-2">
                      <Link href={lessonHref(course.slug, lesson.slug)} className="hover:text-brand-700">
                        {lesson.frontmatter?.title ?? lesson.slug}
                      </Link>
                      <span className="flex items-center gap-3">
                        {score !== undefined && (
                          <span className="text-xs text-slate-600">
                            {t('quizzes')} {score} %
                          </span>
                        )}
                        <StatusBadge status={lessonStatusList[i]!} />
                      </span>
                    </li>
                  )
                })}
              </ul>
            </li>
          )
        })}
      </ul>
    </main>
  )
}
