'use client'
import { useLocale, useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useTransition } from 'react'
import { setLocale } from '@/lib/i18n/locale-action'
import { locales } from '@/lib/i18n/config'

export function LocaleSwitch() {
  const t = useTranslations('common.locale')
  const current = useLocale()
  const router = useRouter()
  const [pending, startTransition] = useTransition()
  return (
    <label className="flex items-center gap-1 text-sm">
      <span className="sr-only">{t('label')}</span>
      <select
        className="rounded border border-slate-300 bg-white px-2 py-1 text-sm"
        value={current}
        disabled={pending}
        aria-label={t('label')}
        onChange={(event) => {
          const next = event.target.value
          startTransition(async () => {
            await setLocale(next)
            router.refresh()
          })
        }}
      >
        {locales.map((locale) => (
          <option key={locale} value={locale}>
            {t(locale)}
          </option>
        ))}
      </select>
    </label>
  )
}
