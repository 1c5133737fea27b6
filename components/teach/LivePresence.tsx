'use client'
import Link from 'next/link'
import { useTranslations } from 'next-intl'
import { useEffect, useState } from 'react'
import { presenceSchema, type LiveEntry } from '@/lib/classes/schemas'
import { fetchJson } from '@/lib/http/client'
import { useErrorText } from './api'

export const presencePollSeconds = 5

type Props = { classId: string; initial: LiveEntry[]; initialAt: string }

/**
 * Who is working now, on what, and how long they have spent on that lesson. Polls a small
 * JSON endpoint every few seconds (paused while the tab is hidden).
 */
export function LivePresence({ classId, initial, initialAt }: Props) {
  const t = useTranslations('teach.live')
  const errorText = useErrorText()
  const [state, setState] = useState({ live: initial, at: initialAt })
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    let stopped = false
    const poll = async () => {
      if (document.visibilityState !== 'visible') return
      const answer = await fetchJson(`/api/classes/${classId}/presence`, presenceSchema)
      if (stopped) return
      if (!answer.ok) return setProblem(errorText(answer.error))
      setState(answer.data)
      setProblem(null)
    }
    const timer = setInterval(poll, presencePollSeconds * 1000)
    document.addEventListener('visibilitychange', poll)
    return () => {
      stopped = true
      clearInterval(timer)
      document.removeEventListener('visibilitychange', poll)
    }
    // errorText changes identity each render; the poller only needs the latest one when it fires.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [classId])

  return (
    <section aria-labelledby="live-heading" className="rounded-xl border border-slate-200 p-5" data-testid="live-presence">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="live-heading" className="text-lg font-semibold">
          <span aria-hidden="true" className="mr-2 inline-block h-2.5 w-2.5 rounded-full bg-emerald-600 align-middle" />
          {t('heading')}
        </h2>
        <p className="text-xs text-slate-600">{t('auto', { seconds: presencePollSeconds })}</p>
      </div>
      <p className="mt-1 text-sm text-slate-700" aria-live="polite">
        {state.live.length === 0 ? t('none') : t('count', { count: state.live.length })}
      </p>
      {problem && (
        <p role="status" className="mt-2 text-sm text-amber-900">
          {t('stale', { message: problem })}
        </p>
      )}
      {state.live.length > 0 && (
        <table className="mt-3 w-full text-left text-sm">
          <thead className="text-xs uppercase tracking-wide text-slate-600">
            <tr>
              <th scope="col" className="py-1 pr-3 font-semibold">
                {t('student')}
              </th>
              <th scope="col" className="py-1 pr-3 font-semibold">
                {t('where')}
              </th>
              <th scope="col" className="py-1 pr-3 font-semibold">
                {t('here')}
              </th>
              <th scope="col" className="py-1 font-semibold">
                {t('since')}
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {state.live.map((entry) => (
              <tr key={entry.userId} data-student={entry.userId}>
                <th scope="row" className="py-1.5 pr-3 font-medium">
                  <Link href={`/teach/classes/${classId}/students/${entry.userId}`} className="text-brand-700 underline">
                    {entry.name}
                  </Link>
                </th>
                <td className="py-1.5 pr-3">
                  {entry.lessonTitle} · {entry.exerciseTitle ?? <span className="text-slate-600">{t('noExercise')}</span>}
                </td>
                <td className="py-1.5 pr-3 tabular-nums">{t('duration', { minutes: Math.floor((Date.parse(entry.lastSeenAt) - Date.parse(entry.since)) / 60_000) })}</td>
                <td className="py-1.5 tabular-nums">{t('duration', { minutes: Math.floor(entry.lessonSeconds / 60) })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
