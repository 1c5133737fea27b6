'use client'
import { useFormatter, useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { inputClass, localInputToIso, secondaryButtonClass, useErrorText } from './api'
import { copyText } from '@/lib/browser/secure-context'

type Props = { classId: string; code: string; expiresAt: string | null; expired: boolean; archived: boolean; origin: string }

const pretty = (code: string) => `${code.slice(0, 5)}-${code.slice(5)}`

/** The class's join code, big enough to read aloud, its link, and a way to replace it. */
export function JoinCodeCard({ classId, code, expiresAt, expired, archived, origin }: Props) {
  const t = useTranslations('teach.code')
  const format = useFormatter()
  const errorText = useErrorText()
  const router = useRouter()
  const [copied, setCopied] = useState<'code' | 'link' | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  const link = `${origin}/join/${pretty(code)}`

  async function copy(what: 'code' | 'link') {
    // When the browser refuses both ways of copying, the text stays selectable on screen.
    if (!(await copyText(what === 'code' ? pretty(code) : link))) return
    setCopied(what)
    setTimeout(() => setCopied(null), 2000)
  }

  async function regenerate(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!window.confirm(t('regenerateConfirm'))) return
    const form = new FormData(event.currentTarget)
    setPending(true)
    setError(null)
    const result = await fetchJson(`/api/classes/${classId}/code`, unreadBody, { method: 'POST', json: { joinCodeExpiresAt: localInputToIso(String(form.get('expiry') ?? '')) } })
    setPending(false)
    if (!result.ok) setError(errorText(result.error))
    else router.refresh()
  }

  return (
    <section aria-labelledby="join-code-heading" className="rounded-xl border border-slate-200 bg-slate-50 p-5">
      <h2 id="join-code-heading" className="text-sm font-semibold uppercase tracking-wide text-slate-700">
        {t('heading')}
      </h2>
      {archived ? (
        <p className="mt-2 text-sm text-slate-700">{t('archived')}</p>
      ) : (
        <>
          <div className="mt-3 flex flex-wrap items-center gap-3">
            <span className="text-sm text-slate-700">{t('label')}</span>
            <output data-testid="join-code" className="rounded bg-white px-3 py-1 font-mono text-3xl font-bold tracking-widest text-slate-900 ring-1 ring-slate-300">
              {pretty(code)}
            </output>
            <button type="button" className={secondaryButtonClass} onClick={() => copy('code')}>
              {copied === 'code' ? t('copied') : t('copyCode')}
            </button>
          </div>
          <div className="mt-3 flex flex-wrap items-center gap-3 text-sm">
            <span className="text-slate-700">{t('link')}</span>
            <code data-testid="join-link" className="break-all rounded bg-white px-2 py-1 ring-1 ring-slate-300">
              {link}
            </code>
            <button type="button" className={secondaryButtonClass} onClick={() => copy('link')}>
              {copied === 'link' ? t('copied') : t('copyLink')}
            </button>
          </div>
          <p className={`mt-3 text-sm ${expired ? 'font-medium text-red-800' : 'text-slate-700'}`}>
            {expiresAt === null
              ? t('never')
              : expired
                ? t('expired', { date: format.dateTime(new Date(expiresAt), { dateStyle: 'medium', timeStyle: 'short' }) })
                : t('expires', { date: format.dateTime(new Date(expiresAt), { dateStyle: 'medium', timeStyle: 'short' }) })}
          </p>
          <details className="mt-3 text-sm">
            <summary className="cursor-pointer font-medium text-brand-700">{t('regenerate')}</summary>
            <form onSubmit={regenerate} className="mt-2 flex flex-wrap items-end gap-3">
              <label className="block text-sm">
                {t('expiry')}
                <input className={`${inputClass} max-w-xs`} type="datetime-local" name="expiry" />
              </label>
              <button type="submit" disabled={pending} className={secondaryButtonClass}>
                {t('regenerate')}
              </button>
              <p className="w-full text-xs text-slate-600">{t('regenerateHint')}</p>
            </form>
            {error && (
              <p role="alert" className="mt-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">
                {error}
              </p>
            )}
          </details>
        </>
      )}
    </section>
  )
}
