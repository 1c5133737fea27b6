'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { contentReloadSchema, type ContentReload } from '@/lib/classes/schemas'
import { secondaryButtonClass, useErrorText } from './api'

/** Loads the lesson files again on every web instance (a production server keeps them otherwise). */
export function ContentReloadButton() {
  const t = useTranslations('teach.preview.reload')
  const errorText = useErrorText()
  const router = useRouter()
  const [pending, setPending] = useState(false)
  const [done, setDone] = useState<ContentReload | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function onClick() {
    setPending(true)
    setDone(null)
    setError(null)
    const result = await fetchJson('/api/teach/content/reload', contentReloadSchema, { method: 'POST' })
    setPending(false)
    if (!result.ok) return setError(errorText(result.error))
    setDone(result.data)
    router.refresh()
  }

  return (
    <div className="mt-4 text-sm">
      <button type="button" className={secondaryButtonClass} disabled={pending} onClick={onClick}>
        {t('button')}
      </button>
      <p className="mt-1 text-slate-600">{t('help')}</p>
      <div aria-live="polite">
        {done && (
          <p className="mt-2 text-emerald-800" data-testid="content-reloaded">
            {t('done', { version: done.version, lessons: done.lessons, broken: done.broken })}
          </p>
        )}
        {error && (
          <p role="alert" className="mt-2 text-red-800">
            {error}
          </p>
        )}
      </div>
    </div>
  )
}
