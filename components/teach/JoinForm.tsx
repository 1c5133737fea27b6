'use client'
import Link from 'next/link'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useId, useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { joinOutcomeSchema, type JoinOutcome as Outcome } from '@/lib/classes/schemas'
import { buttonClass, inputClass, useErrorText } from './api'


/**
 * Joins with a code: typed in a field, or fixed (the join link's page, where the student only
 * confirms). Joining twice is answered as a no-op, not as an error. With a typed code the page
 * is refreshed after joining (its list of classes); the join link's page is not, since it would
 * replace the "you joined" answer with its own "you are already a member".
 */
export function JoinForm({ code, confirmLabel }: { code?: string; confirmLabel?: string }) {
  const t = useTranslations('teach.join')
  const errorText = useErrorText()
  const router = useRouter()
  const id = useId()
  const [result, setResult] = useState<{ ok: true; outcome: Outcome } | { ok: false; text: string } | null>(null)
  const [pending, setPending] = useState(false)

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const value = code ?? String(new FormData(event.currentTarget).get('code') ?? '')
    setPending(true)
    setResult(null)
    const response = await fetchJson('/api/classes/join', joinOutcomeSchema, { method: 'POST', json: { code: value } })
    setPending(false)
    setResult(response.ok ? { ok: true, outcome: response.data } : { ok: false, text: errorText(response.error) })
    if (response.ok && code === undefined) router.refresh()
  }

  return (
    <form onSubmit={onSubmit} className="mt-4 space-y-3" noValidate aria-describedby={result ? `${id}-result` : undefined}>
      {code === undefined && (
        <label className="block text-sm font-medium">
          {t('code')}
          <input className={`${inputClass} max-w-xs font-mono text-lg uppercase tracking-widest`} name="code" autoComplete="off" autoCapitalize="characters" spellCheck={false} maxLength={40} required aria-describedby={`${id}-hint`} />
          <span id={`${id}-hint`} className="mt-1 block text-xs font-normal text-slate-600">
            {t('codeHint')}
          </span>
        </label>
      )}
      <button type="submit" disabled={pending} className={buttonClass}>
        {pending ? t('pending') : (confirmLabel ?? t('submit'))}
      </button>
      {result && (
        <div id={`${id}-result`}>
          {result.ok ? (
            <p role="status" className="rounded bg-emerald-50 px-3 py-2 text-emerald-900">
              {result.outcome.status === 'joined' ? t('joined', { name: result.outcome.classroom.name }) : t('alreadyMember', { name: result.outcome.classroom.name })}{' '}
              <Link href="/" className="font-medium underline">
                {t('goCourses')}
              </Link>
            </p>
          ) : (
            <p role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">
              {result.text}
            </p>
          )}
        </div>
      )}
    </form>
  )
}
