'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { inputClass, secondaryButtonClass, useErrorText } from './api'

export function AddInstructorForm({ classId }: { classId: string }) {
  const t = useTranslations('teach.manage')
  const errorText = useErrorText()
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const formElement = event.currentTarget
    const email = String(new FormData(formElement).get('email') ?? '').trim()
    setPending(true)
    setError(null)
    const result = await fetchJson(`/api/classes/${classId}/instructors`, unreadBody, { method: 'POST', json: { email } })
    setPending(false)
    if (!result.ok) return setError(errorText(result.error))
    formElement.reset()
    router.refresh()
  }

  return (
    <form onSubmit={onSubmit} className="mt-3 flex flex-wrap items-end gap-3" noValidate>
      <label className="block text-sm font-medium">
        {t('instructorEmail')}
        <input className={`${inputClass} w-72`} type="email" name="email" required autoComplete="off" />
      </label>
      <button type="submit" disabled={pending} className={secondaryButtonClass}>
        {t('addInstructor')}
      </button>
      {error && (
        <p role="alert" className="w-full rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      )}
    </form>
  )
}
