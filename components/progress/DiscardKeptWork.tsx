'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { discardedSchema, sandboxApi } from '@/lib/workspace/api'

/** Removes a lesson's kept work, after the browser's confirmation. */
export function DiscardKeptWork({ courseSlug, lessonSlug }: { courseSlug: string; lessonSlug: string }) {
  const t = useTranslations('learn.progress.kept')
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const discard = async () => {
    if (!window.confirm(t('confirm'))) return
    const answer = await fetchJson(sandboxApi.discardKept(courseSlug, lessonSlug), discardedSchema, { method: 'DELETE' })
    if (!answer.ok) return setError(answer.error.message)
    router.refresh()
  }
  return (
    <>
      <button type="button" onClick={() => void discard()} className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">
        {t('discard')}
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      )}
    </>
  )
}
