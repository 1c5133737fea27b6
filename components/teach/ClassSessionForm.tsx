'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { buttonClass, inputClass, localInputToIso, useErrorText } from './api'

export type SessionLessonChoice = { courseSlug: string; lessonSlug: string; title: string; courseTitle: string }

/** Schedule a class session: a hands-on lesson, a date and a time (the browser's local time). */
export function ClassSessionForm({ classId, lessons }: { classId: string; lessons: SessionLessonChoice[] }) {
  const t = useTranslations('teach.sessions')
  const errorText = useErrorText()
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const formElement = event.currentTarget
    const form = new FormData(formElement)
    const [courseSlug = '', lessonSlug = ''] = String(form.get('lesson') ?? '').split('/')
    const startsAt = localInputToIso(`${String(form.get('date') ?? '')}T${String(form.get('time') ?? '')}`)
    if (!startsAt) return setError(t('missingDateTime'))
    setPending(true)
    setError(null)
    const result = await fetchJson(`/api/classes/${classId}/sessions`, unreadBody, { method: 'POST', json: { courseSlug, lessonSlug, startsAt } })
    setPending(false)
    if (!result.ok) return setError(errorText(result.error))
    formElement.reset()
    router.refresh()
  }

  if (lessons.length === 0) return <p className="mt-2 text-sm text-slate-700">{t('noHandsOn')}</p>

  return (
    <form onSubmit={onSubmit} className="mt-3 flex flex-wrap items-end gap-3" noValidate aria-label={t('formLabel')}>
      <label className="block text-sm font-medium">
        {t('lesson')}
        <select name="lesson" required className={`${inputClass} w-72`}>
          {lessons.map((l) => (
            <option key={`${l.courseSlug}/${l.lessonSlug}`} value={`${l.courseSlug}/${l.lessonSlug}`}>
              {l.courseTitle} — {l.title}
            </option>
          ))}
        </select>
      </label>
      <label className="block text-sm font-medium">
        {t('date')}
        <input className={`${inputClass} w-44`} type="date" name="date" required />
      </label>
      <label className="block text-sm font-medium">
        {t('time')}
        <input className={`${inputClass} w-32`} type="time" name="time" required />
      </label>
      <button type="submit" disabled={pending} className={buttonClass}>
        {t('schedule')}
      </button>
      {error && (
        <p role="alert" className="w-full rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      )}
    </form>
  )
}
