import type { Metadata } from 'next'
import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { KeptWorkList } from '@/components/progress/KeptWorkList'
import { LessonProgressItem } from '@/components/progress/LessonProgressItem'
import { ResumeCard } from '@/components/progress/ResumeCard'
import { ProgressBar } from '@/components/ui/ProgressBar'
import { requirePageUser } from '@/lib/auth/session.server'
import { courseHref } from '@/lib/content/paths'
import { getLessonByKey } from '@/lib/content/lessons.server'
import { progressOverview } from '@/lib/progress/overview.server'
import { keptWorkOf } from '@/lib/sandbox/kept.server'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('learn.progress'))('title') }
}

export default async function ProgressPage() {
  const user = await requirePageUser('/progress')
  const [t, overview, kept] = await Promise.all([getTranslations('learn.progress'), progressOverview(user.id), keptWorkOf(user.id)])
  const keptTitles = Object.fromEntries(kept.flatMap((k) => (k.lessonKey ? [[k.lessonKey, getLessonByKey(k.lessonKey)?.frontmatter?.title ?? k.lessonKey]] : [])))
  return (
    <main className="mx-auto max-w-4xl px-6 py-10">
      <h1 className="text-3xl font-bold tracking-tight">{t('title')}</h1>
      <p className="mt-2 text-slate-700">{t('intro')}</p>
      {overview.resume ? (
        <ResumeCard resume={overview.resume} />
      ) : (
        <p className="mt-6 rounded bg-slate-50 px-4 py-3">
          {t('noActivity')}{' '}
          <Link href="/" className="font-medium text-brand-700 underline">
            {t('start')}
          </Link>
        </p>
      )}
      <KeptWorkList items={kept} titles={keptTitles} />
      <ul className="mt-8 space-y-6">
        {overview.courses.map((course) => (
          <li key={course.slug} className="rounded-xl border border-slate-200 p-5" data-course={course.slug}>
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <h2 className="text-lg font-semibold">
                <Link href={courseHref(course.slug)} className="hover:text-brand-700">
                  {course.title}
                </Link>
              </h2>
              <p className="text-sm text-slate-700" data-testid="course-progress-text">
                {t('course', { done: course.completed, total: course.lessons.length })}
              </p>
            </div>
            <div className="mt-3">
              <ProgressBar percent={course.percent} label={t('progressLabel', { title: course.title })} />
            </div>
            <ul className="mt-4 divide-y divide-slate-100 text-sm">
              {course.lessons.map((lesson) => (
                <LessonProgressItem key={lesson.lessonSlug} lesson={lesson} />
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </main>
  )
}
