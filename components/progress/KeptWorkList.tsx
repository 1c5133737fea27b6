import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { lessonHref } from '@/lib/content/paths'
import type { KeptWorkView } from '@/lib/sandbox/kept.server'
import { sandboxApi } from '@/lib/workspace/api'
import { KeptDownloadButton, type KeptDownloadLabels } from '@/components/workspace/KeptDownloadButton'
import { DiscardKeptWork, type DiscardKeptWorkLabels } from './DiscardKeptWork'

/** The learner's kept sandboxes (docs/persistence.md): space per lesson, and when each goes. */
export async function KeptWorkList({ items, titles }: { items: KeptWorkView[]; titles: Record<string, string> }) {
  const [t, format] = await Promise.all([getTranslations('learn.progress.kept'), getFormatter()])
  if (items.length === 0) return null
  const now = new Date()
  const errors = t.raw('downloadErrors') as KeptDownloadLabels['errors']
  const labels: KeptDownloadLabels = { label: t('download'), busy: t('downloading'), errors }
  const discardLabels: DiscardKeptWorkLabels = { discard: t('discard'), confirm: t('confirm'), errors: t.raw('discardErrors') as DiscardKeptWorkLabels['errors'] }
  return (
    <section aria-labelledby="kept-work" className="mt-8 rounded-xl border border-slate-200 p-5" data-kept-work>
      <h2 id="kept-work" className="text-lg font-semibold">
        {t('title')}
      </h2>
      <p className="mt-1 text-sm text-slate-700">{t('intro')}</p>
      <ul className="mt-3 divide-y divide-slate-100 text-sm">
        {items.map((item) => {
          const [course, lesson] = (item.lessonKey ?? '').split('/')
          return (
            <li key={item.scopeKey} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-2" data-kept-lesson={item.lessonKey ?? ''}>
              {course && lesson ? (
                <Link href={lessonHref(course, lesson)} className="font-medium text-brand-700 hover:underline">
                  {titles[item.lessonKey ?? ''] ?? item.lessonKey}
                </Link>
              ) : (
                <span className="font-medium">{item.scopeKey}</span>
              )}
              <span className="text-slate-700">{item.status === 'kept' ? t('size', { mb: item.keptMb }) : t('running')}</span>
              <span className="text-slate-600">{t('lastUsed', { when: format.relativeTime(new Date(item.lastUsedAt), now) })}</span>
              {item.expiresAt && (
                <span className={item.expiresSoon ? 'font-medium text-amber-800' : 'text-slate-600'} data-expires-soon={item.expiresSoon ? 'true' : 'false'}>
                  {item.expiresSoon ? t('expiresSoon', { when: format.relativeTime(new Date(item.expiresAt), now) }) : t('expires', { date: format.dateTime(new Date(item.expiresAt), { dateStyle: 'medium' }) })}
                </span>
              )}
              <span className="flex-1" />
              {item.status === 'kept' && course && lesson && (
                <KeptDownloadButton
                  href={sandboxApi.keptArchive(course, lesson)}
                  labels={labels}
                  className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600"
                />
              )}
              {item.status === 'kept' && course && lesson && <DiscardKeptWork courseSlug={course} lessonSlug={lesson} labels={discardLabels} />}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
