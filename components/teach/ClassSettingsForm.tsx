'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import type { QuizExplanationMode } from '@/lib/content/schema'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { buttonClass, dangerButtonClass, inputClass, secondaryButtonClass, useErrorText } from './api'

const explanationModes = ['after-attempt', 'after-pass', 'never'] as const satisfies readonly QuizExplanationMode[]

type Props = {
  classId: string
  name: string
  archived: boolean
  courses: { slug: string; title: string }[]
  chosen: string[]
  /** The class's quiz policy (ClassDetail.quizPolicy); null values give each quiz's own back. */
  quizPolicy?: { maxAttempts: number | null; explanations: QuizExplanationMode | null }
}

/** Rename, choose the courses, set the class's quiz policy, archive or reactivate. */
export function ClassSettingsForm({ classId, name, archived, courses, chosen, quizPolicy }: Props) {
  const t = useTranslations('teach.manage')
  const errorText = useErrorText()
  const router = useRouter()
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const [pending, setPending] = useState(false)

  async function patch(body: Record<string, unknown>) {
    setPending(true)
    setMessage(null)
    const result = await fetchJson(`/api/classes/${classId}`, unreadBody, { method: 'PATCH', json: body })
    setPending(false)
    setMessage(result.ok ? { ok: true, text: t('saved') } : { ok: false, text: errorText(result.error) })
    if (result.ok) router.refresh()
  }

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    await patch({ name: String(form.get('name') ?? ''), courses: form.getAll('courses').map(String) })
  }

  async function onQuizSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const attempts = String(form.get('quizMaxAttempts') ?? '').trim()
    const explanations = String(form.get('quizExplanations') ?? '')
    await patch({
      // Empty: each quiz's own number. A number the API refuses comes back as a field error.
      quizMaxAttempts: attempts === '' ? null : Number(attempts),
      quizExplanations: explanationModes.find((mode) => mode === explanations) ?? null,
    })
  }

  return (
    <div className="space-y-8">
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        <label className="block text-sm font-medium">
          {t('rename')}
          <input className={inputClass} name="name" defaultValue={name} required minLength={2} maxLength={120} />
        </label>
        <fieldset>
          <legend className="text-sm font-medium">{t('coursesHeading')}</legend>
          <ul className="mt-2 grid gap-1 sm:grid-cols-2">
            {courses.map((course) => (
              <li key={course.slug}>
                <label className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="courses" value={course.slug} defaultChecked={chosen.includes(course.slug)} className="h-4 w-4" />
                  {course.title}
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <button type="submit" disabled={pending} className={buttonClass}>
          {t('save')}
        </button>
      </form>
      {quizPolicy && (
        <form onSubmit={onQuizSubmit} className="space-y-4" aria-labelledby="quiz-policy-heading" noValidate data-testid="class-quiz-policy">
          <div>
            <h2 id="quiz-policy-heading" className="text-lg font-semibold">
              {t('quizHeading')}
            </h2>
            <p className="mt-1 text-sm text-slate-700">{t('quizHint')}</p>
          </div>
          <label className="block text-sm font-medium">
            {t('quizAttempts')}
            <input className={`${inputClass} max-w-[8rem]`} name="quizMaxAttempts" type="number" min={1} max={100} inputMode="numeric" defaultValue={quizPolicy.maxAttempts ?? ''} />
            <span className="mt-1 block text-xs font-normal text-slate-600">{t('quizAttemptsHint')}</span>
          </label>
          <label className="block text-sm font-medium">
            {t('quizExplanations')}
            <select className={inputClass} name="quizExplanations" defaultValue={quizPolicy.explanations ?? ''}>
              <option value="">{t('quizExplanationsOwn')}</option>
              {explanationModes.map((mode) => (
                <option key={mode} value={mode}>
                  {t(`quizExplanationsMode.${mode}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={pending} className={buttonClass}>
            {t('quizSave')}
          </button>
        </form>
      )}
      <section aria-labelledby="archive-heading">
        <h2 id="archive-heading" className="text-lg font-semibold">
          {t('archiveHeading')}
        </h2>
        <p className="mt-1 text-sm text-slate-700">{t('archiveHint')}</p>
        {archived ? (
          <button type="button" disabled={pending} className={`${secondaryButtonClass} mt-3`} onClick={() => patch({ archived: false })}>
            {t('unarchive')}
          </button>
        ) : (
          <button type="button" disabled={pending} className={`${dangerButtonClass} mt-3`} onClick={() => window.confirm(t('archiveConfirm')) && patch({ archived: true })}>
            {t('archive')}
          </button>
        )}
      </section>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={`rounded px-3 py-2 text-sm ${message.ok ? 'bg-emerald-50 text-emerald-900' : 'border border-red-300 bg-red-50 text-red-800'}`}>
          {message.text}
        </p>
      )}
    </div>
  )
}
