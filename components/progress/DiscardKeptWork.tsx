'use client'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { discardedSchema, sandboxApi } from '@/lib/workspace/api'

export type DiscardKeptWorkLabels = {
  discard: string
  confirm: string
  /** By the API's error code (kept_busy, network...), and `other`: the API's own message is English. */
  errors: Record<string, string> & { other: string }
}

/** Removes a lesson's kept work, after the browser's confirmation. */
export function DiscardKeptWork({ courseSlug, lessonSlug, labels }: { courseSlug: string; lessonSlug: string; labels: DiscardKeptWorkLabels }) {
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const discard = async () => {
    if (!window.confirm(labels.confirm)) return
    const answer = await fetchJson(sandboxApi.discardKept(courseSlug, lessonSlug), discardedSchema, { method: 'DELETE' })
    if (!answer.ok) return setError(labels.errors[answer.error.code] ?? labels.errors.other)
    router.refresh()
  }
  return (
    <>
      <button type="button" onClick={() => void discard()} className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">
        {labels.discard}
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      )}
    </>
  )
}
