'use client'
import { useFormatter, useTranslations } from 'next-intl'
import { useId, useState } from 'react'
import type { RubricCriterion } from '@/lib/content/open-questions'
import { fetchJson } from '@/lib/http/client'
import { gradeAnswerSchema, openApi, type GradeInput, type QueuedAnswer } from '@/lib/open-questions/api'

type Props = { classId: string; answer: QueuedAnswer; rubric: RubricCriterion[]; maxPoints: number }

/** The grading form of one answer: points per criterion (halves allowed), a comment, and whether a new version may be handed in. */
export function OpenAnswerGrader({ classId, answer: initial, rubric, maxPoints }: Props) {
  const t = useTranslations('openQuestions.teach')
  const format = useFormatter()
  const id = useId()
  const [answer, setAnswer] = useState(initial)
  const [points, setPoints] = useState<Record<string, string>>(() => Object.fromEntries(rubric.map((c) => [c.id, initial.grade ? String(initial.grade.criteria[c.id] ?? '') : ''])))
  const [feedback, setFeedback] = useState(initial.grade?.feedback ?? '')
  const [allowResubmit, setAllowResubmit] = useState(false)
  const [pending, setPending] = useState(false)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const total = rubric.reduce((n, c) => n + (Number(points[c.id]) || 0), 0)

  async function save(event: React.FormEvent) {
    event.preventDefault()
    if (pending) return
    setPending(true)
    setMessage(null)
    const body: GradeInput = {
      criteria: Object.fromEntries(rubric.map((c) => [c.id, points[c.id] === '' ? Number.NaN : Number(points[c.id])]).filter(([, v]) => Number.isFinite(v))),
      feedback,
      allowResubmit,
      expectSubmissions: answer.submissions,
    }
    try {
      const result = await fetchJson(openApi.grade(classId, answer.id), gradeAnswerSchema, { method: 'PUT', json: body })
      if (!result.ok) {
        const code = result.error.code
        setMessage({ ok: false, text: code === 'invalid_grade' || code === 'answer_changed' || code === 'not_submitted' ? t(`errors.${code}`) : t('errors.generic', { message: result.error.message }) })
        return
      }
      setAnswer(result.data.answer)
      setMessage({ ok: true, text: t('saved', { points: result.data.answer.grade?.points ?? total, max: maxPoints }) })
    } finally {
      setPending(false)
    }
  }

  const grade = answer.grade
  return (
    <form onSubmit={save} aria-label={t('gradeFor', { name: answer.student.name })} className="mt-3 rounded border border-slate-200 bg-slate-50 p-3">
      {grade && (
        <p className="mb-2 text-sm" data-testid="graded-by">
          {grade.gradedBy
            ? t('gradedBy', { name: grade.gradedBy, date: format.dateTime(new Date(grade.gradedAt), { dateStyle: 'medium', timeStyle: 'short' }), points: grade.points, max: grade.maxPoints })
            : t('gradedByUnknown', { date: format.dateTime(new Date(grade.gradedAt), { dateStyle: 'medium', timeStyle: 'short' }), points: grade.points, max: grade.maxPoints })}
        </p>
      )}
      <div className="grid gap-2 sm:grid-cols-2">
        {rubric.map((c) => (
          <div key={c.id}>
            <label htmlFor={`${id}-${c.id}`} className="block text-sm font-medium">
              {t('criterion', { label: c.label, max: c.points })}
            </label>
            <input
              id={`${id}-${c.id}`}
              type="number"
              min={0}
              max={c.points}
              step={0.5}
              required
              value={points[c.id] ?? ''}
              onChange={(event) => setPoints((p) => ({ ...p, [c.id]: event.target.value }))}
              className="mt-1 w-24 rounded border border-slate-400 px-2 py-1 text-sm"
            />
          </div>
        ))}
      </div>
      <p className="mt-2 text-sm font-medium" aria-live="polite">
        {t('total', { points: total, max: maxPoints })}
      </p>
      <label htmlFor={`${id}-feedback`} className="mt-2 block text-sm font-medium">
        {t('comment')}
      </label>
      <textarea id={`${id}-feedback`} value={feedback} maxLength={5000} onChange={(event) => setFeedback(event.target.value)} className="mt-1 block min-h-24 w-full rounded border border-slate-400 p-2 text-sm" />
      <label className="mt-2 flex items-center gap-2 text-sm">
        <input type="checkbox" checked={allowResubmit} onChange={(event) => setAllowResubmit(event.target.checked)} />
        {t('allowResubmit')}
      </label>
      <button type="submit" disabled={pending} className="mt-3 rounded bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-60">
        {pending ? t('saving') : t('save')}
      </button>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'mt-2 text-sm text-emerald-800' : 'mt-2 text-sm text-red-800'}>
          {message.text}
        </p>
      )}
    </form>
  )
}
