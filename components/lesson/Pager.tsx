import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import type { LessonRecord } from '@/lib/content/lessons.server'
import { lessonHref } from '@/lib/content/paths'

export async function Pager({ previous, next }: { previous: LessonRecord | null; next: LessonRecord | null }) {
  const t = await getTranslations('learn.lesson')
  const card = 'flex-1 rounded-lg border border-slate-200 px-4 py-3 hover:border-brand-600'
  return (
    <nav aria-label={t('pager')} className="mt-12 flex gap-4 border-t border-slate-200 pt-6">
      {previous ? (
        <Link rel="prev" className={card} href={lessonHref(previous.courseSlug, previous.slug)}>
          <span className="block text-xs text-slate-600">← {t('previous')}</span>
          <span className="font-medium">{previous.frontmatter?.title ?? previous.slug}</span>
        </Link>
      ) : (
        <span className="flex-1" />
      )}
      {next ? (
        <Link rel="next" className={`${card} text-right`} href={lessonHref(next.courseSlug, next.slug)}>
          <span className="block text-xs text-slate-600">{t('next')} →</span>
          <span className="font-medium">{next.frontmatter?.title ?? next.slug}</span>
        </Link>
      ) : (
        <span className="flex-1" />
      )}
    </nav>
  )
}
