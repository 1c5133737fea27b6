import type { Metadata } from 'next'
import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { ContentReloadButton } from '@/components/teach/ContentReloadButton'
import { StatusBadge } from '@/components/ui/StatusBadge'
import { requirePageUser } from '@/lib/auth/session.server'
import { getContentTree } from '@/lib/content/lessons.server'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach.preview'))('title') }
}

export default async function PreviewIndexPage() {
  await requirePageUser('/teach/preview', 'instructor')
  const t = await getTranslations('teach')
  const courses = getContentTree().courses
  return (
    <main className="mx-auto max-w-4xl px-6 py-10">
      <nav className="text-sm">
        <Link href="/teach" className="text-slate-600 underline hover:text-slate-900">
          {t('title')}
        </Link>
      </nav>
      <h1 className="mt-2 text-3xl font-bold tracking-tight">{t('preview.title')}</h1>
      <p className="mt-2 text-slate-700">{t('preview.intro')}</p>
      <ContentReloadButton />
      <ul className="mt-8 space-y-6">
        {courses.map((course) => (
          <li key={course.slug}>
            <h2 className="text-lg font-semibold">{course.index?.title ?? course.slug}</h2>
            <ul className="mt-2 divide-y divide-slate-100">
              {course.lessons.map((lesson) => (
                <li key={lesson.slug} className="flex items-center justify-between gap-3 py-2 text-sm">
                  <Link href={`/teach/preview/${course.slug}/${lesson.slug}`} className="text-brand-700 underline">
                    {lesson.frontmatter?.title ?? lesson.slug}
                  </Link>
                  <span className="flex items-center gap-3 text-slate-600">
                    {lesson.quiz && `${lesson.quiz.questions.length} Q`}
                    {lesson.exercises.length > 0 && ` · ${lesson.exercises.length} E`}
                    {lesson.problems.length > 0 && <StatusBadge status="broken" />}
                  </span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </main>
  )
}
