'use client'
import { useTranslations } from 'next-intl'

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  const t = useTranslations('common.error')
  return (
    <main className="mx-auto max-w-xl px-6 py-20 text-center" role="alert">
      <h1 className="text-2xl font-bold">{t('title')}</h1>
      <p className="mt-3 text-slate-600">{t('body')}</p>
      <button type="button" onClick={reset} className="mt-6 rounded bg-brand-600 px-4 py-2 text-white hover:bg-brand-700">
        {t('retry')}
      </button>
    </main>
  )
}
