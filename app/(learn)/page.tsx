import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { ProgressBar } from '@/components/ui/ProgressBar'
import { getSessionUser } from '@/lib/auth/session.server'
import { listCourses } from '@/lib/content/lessons.server'
import { courseHref } from '@/lib/content/paths'
import { summarizeCourse } from '@/lib/content/summaries'
import { lessonStatuses } from '@/lib/progress/lessons.server'
import { coursePercent } from '@/lib/progress/rules'

export default async function CataloguePage() {
  const [t, tc, user] = await Promise.all([getTranslations('learn.catalogue'), getTranslations('common'), getSessionUser()])
  const courses = listCourses()
  const statuses = user ? await lessonStatuses(user.id) : null
  return (
    <main className="mx-auto max-w-6xl px-6 py-10">
      <section className="max-w-3xl">
        <h1 className="text-3xl font-bold tracking-tight text-slate-900">{t('title')}</h1>
        <p className="mt-3 text-lg text-slate-700">{t('intro')}</p>
      </section>
      <h2 className="mt-10 text-lg font-semibold">{t('courses')}</h2>
      {courses.length === 0 && <p className="mt-4 text-slate-600">{t('empty')}</p>}
      <ul className="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {courses.map((course) => {
          const summary = summarizeCourse(course)
          const percent = statuses ? coursePercent(course.lessons.map((l) => statuses.get(l.key) ?? 'not-started')) : null
          return (
            <li key={course.slug} className="flex flex-col rounded-xl border border-slate-200 p-5 shadow-sm hover:border-brand-600">
              <h3 className="text-lg font-semibold">
                <Link href={courseHref(course.slug)} className="after:absolute after:inset-0 hover:text-brand-700">
                  {summary.title}
                </Link>
              </h3>
              <p className="mt-2 flex-1 text-sm text-slate-700">{summary.summary}</p>
              <p className="mt-3 text-xs text-slate-600">
                {[tc('lessons', { count: summary.lessons }), t('handsOn', { count: summary.handsOn }), tc('minutes', { count: summary.minutes }), summary.level]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
              {percent !== null && (
                <div className="mt-3 space-y-1">
                  <ProgressBar percent={percent} label={summary.title} />
                  <p className="text-xs text-slate-600">{t('progress', { percent })}</p>
                </div>
              )}
            </li>
          )
        })}
      </ul>
    </main>
  )
}
