import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { idParam } from '@/lib/classes/schemas'

// The class's sections, above each of its pages: the dashboard, and the open answers to grade (their
// own page, so that the dashboard's render stays as it is; the dashboard links to its settings). Links only:
// no query, so the dashboard costs nothing more; each page checks who may see it.
export default async function ClassLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const id = idParam.safeParse((await params).id).data
  if (!id) return children
  const t = await getTranslations('openQuestions.teach')
  const base = `/teach/classes/${id}`
  return (
    <>
      <nav aria-label={t('nav')} className="mx-auto flex max-w-6xl flex-wrap gap-4 px-6 pt-4 text-sm">
        <Link href={base} className="text-slate-700 underline hover:text-slate-900">
          {t('dashboard')}
        </Link>
        <Link href={`${base}/open-answers`} className="text-slate-700 underline hover:text-slate-900">
          {t('openAnswers')}
        </Link>
      </nav>
      {children}
    </>
  )
}
