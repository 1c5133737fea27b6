'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useId, useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { createdClassSchema } from '@/lib/classes/schemas'
import { buttonClass, inputClass, localInputToIso, useErrorText } from './api'

export function CreateClassForm({ courses }: { courses: { slug: string; title: string }[] }) {
  const t = useTranslations('teach.create')
  const errorText = useErrorText()
  const router = useRouter()
  const id = useId()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setPending(true)
    setError(null)
    const result = await fetchJson('/api/classes', createdClassSchema, {
      method: 'POST',
      json: {
        name: String(form.get('name') ?? ''),
        courses: form.getAll('courses').map(String),
        joinCodeExpiresAt: localInputToIso(String(form.get('expiry') ?? '')),
      },
    })
    if (!result.ok) {
      setPending(false)
      setError(errorText(result.error))
      return
    }
    router.push(`/teach/classes/${result.data.id}`)
  }

  return (
    <form onSubmit={onSubmit} className="mt-4 space-y-4 rounded-xl border border-slate-200 p-5" aria-describedby={error ? `${id}-error` : undefined} noValidate>
      <label className="block text-sm font-medium">
        {t('name')}
        <input className={inputClass} name="name" required minLength={2} maxLength={120} placeholder={t('namePlaceholder')} />
      </label>
      <fieldset>
        <legend className="text-sm font-medium">{t('courses')}</legend>
        <p className="text-xs text-slate-600">{t('coursesHint')}</p>
        <ul className="mt-2 grid gap-1 sm:grid-cols-2">
          {courses.map((course) => (
            <li key={course.slug}>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" name="courses" value={course.slug} className="h-4 w-4" />
                {course.title}
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <label className="block text-sm font-medium">
        {t('expiry')}
        <input className={`${inputClass} max-w-xs`} type="datetime-local" name="expiry" />
        <span className="mt-1 block text-xs font-normal text-slate-600">{t('expiryHint')}</span>
      </label>
      {error && (
        <p id={`${id}-error`} role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      )}
      <button type="submit" disabled={pending} className={buttonClass}>
        {pending ? t('pending') : t('submit')}
      </button>
    </form>
  )
}
