'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { examAnswerSchema, examApi, type ExamInput, type ExamView } from '@/lib/exams/api'
import { fetchJson } from '@/lib/http/client'
import { buttonClass, inputClass, localInputToIso, useErrorText } from './api'
import { RemoveButton } from './RemoveButton'

export type ExamLessonChoice = { key: string; title: string; courseTitle: string }

/** A Date as a datetime-local input's value, in the browser's time. */
function toLocalInput(iso: string): string {
  const d = new Date(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`
}

/** Exam mode on the class dashboard: the window (the browser's local time), the lessons it covers, and ending it. */
export function ExamForm({ classId, exam, underWay, lessons, summary }: { classId: string; exam: ExamView; underWay: boolean; lessons: ExamLessonChoice[]; summary: string | null }) {
  const t = useTranslations('teach.exam')
  const errorText = useErrorText()
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const startsAt = localInputToIso(String(form.get('startsAt') ?? ''))
    const endsAt = localInputToIso(String(form.get('endsAt') ?? ''))
    if (!startsAt || !endsAt) return setError(t('missingDateTime'))
    const chosen = form.getAll('lessons').map(String)
    setPending(true)
    setError(null)
    const result = await fetchJson(examApi(classId), examAnswerSchema, {
      method: 'PUT',
      json: { startsAt, endsAt, lessons: chosen.length > 0 ? chosen : null } satisfies ExamInput,
    })
    setPending(false)
    if (!result.ok) return setError(errorText(result.error))
    router.refresh()
  }

  return (
    <div className="mt-3 space-y-3">
      <p className="text-sm" data-testid="exam-summary">
        {summary ?? t('none')}
      </p>
      {exam && (underWay ? <RemoveButton url={examApi(classId)} label={t('end')} confirm={t('endConfirm')} /> : <RemoveButton url={examApi(classId)} label={t('remove')} confirm={t('removeConfirm')} />)}
      <form onSubmit={onSubmit} className="space-y-3" noValidate aria-label={t('formLabel')}>
        <div className="flex flex-wrap items-end gap-3">
          <label className="block text-sm font-medium">
            {t('startsAt')}
            <input className={`${inputClass} w-60`} type="datetime-local" name="startsAt" required defaultValue={exam ? toLocalInput(exam.startsAt) : undefined} />
          </label>
          <label className="block text-sm font-medium">
            {t('endsAt')}
            <input className={`${inputClass} w-60`} type="datetime-local" name="endsAt" required defaultValue={exam ? toLocalInput(exam.endsAt) : undefined} />
          </label>
        </div>
        {lessons.length > 0 && (
          <fieldset className="text-sm">
            <legend className="font-medium">{t('lessons')}</legend>
            <div className="mt-1 grid gap-1 sm:grid-cols-2">
              {lessons.map((l) => (
                <label key={l.key} className="inline-flex items-center gap-2">
                  <input type="checkbox" name="lessons" value={l.key} defaultChecked={exam?.lessons?.includes(l.key) ?? false} />
                  {l.courseTitle} — {l.title}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <button type="submit" disabled={pending} className={buttonClass}>
          {exam ? t('replace') : t('set')}
        </button>
        {error && (
          <p role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        )}
      </form>
    </div>
  )
}
