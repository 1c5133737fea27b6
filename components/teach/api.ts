'use client'
import { useTranslations } from 'next-intl'
import type { ApiFailure } from '@/lib/http/client'
import { waitWords } from '@/lib/i18n/wait'

// The instructor and join forms call /api/classes with fetchJson (lib/http/client.ts); every
// refusal becomes a sentence in the reader's language (errors.<code> in teach.json).


const known = new Set([
  'class_not_found',
  'not_class_instructor',
  'class_archived',
  'invalid_code',
  'unknown_code',
  'expired_code',
  'invalid_expiry',
  'teaches_class',
  'unknown_course',
  'student_not_in_class',
  'instructor_not_found',
  'last_instructor',
  'too_many_attempts',
  'session_in_past',
  'session_not_found',
  'exam_already_over',
  'exam_lesson_not_in_class',
  'lesson_not_found',
  'unauthenticated',
  'forbidden',
  'network',
])

export function useErrorText(): (error: ApiFailure) => string {
  const t = useTranslations('teach.errors')
  const tw = useTranslations('teach.wait')
  return (error) => {
    if (error.code === 'invalid_input') return t('invalid_input', { fields: (error.fields ?? []).map((f) => f.field).join(', ') })
    if (error.code === 'too_many_attempts' && typeof error.retryAfterSeconds === 'number') return t('too_many_attempts_wait', { wait: waitWords(tw, error.retryAfterSeconds) })
    if (known.has(error.code)) return t(error.code)
    return t('generic', { message: error.message })
  }
}

/** A datetime-local value (the browser's local time) as an ISO string with offset, or null. */
export function localInputToIso(value: string): string | null {
  if (!value) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

export const inputClass = 'mt-1 block w-full rounded border border-slate-400 px-3 py-2 focus:border-brand-600'
export const buttonClass = 'rounded bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60'
export const secondaryButtonClass = 'rounded border border-slate-400 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-60'
export const dangerButtonClass = 'rounded border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-800 hover:bg-red-50 disabled:opacity-60'
