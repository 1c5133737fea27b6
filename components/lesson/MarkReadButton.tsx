'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { progressApi, type ProgressAction } from '@/lib/progress/api'

/** A request cut on the way (status 0) is sent again once after this: marking read twice is harmless. */
const retryAfterCutMs = 500

export function MarkReadButton({ courseSlug, lessonSlug, completed }: { courseSlug: string; lessonSlug: string; completed: boolean }) {
  const t = useTranslations('learn.lesson')
  const router = useRouter()
  const [pending, setPending] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  if (completed) return <p className="mt-8 font-medium text-emerald-800">✓ {t('markedRead')}</p>

  const markRead = async () => {
    setPending(true)
    setFailure(null)
    const send = () => fetchJson(progressApi(courseSlug, lessonSlug), unreadBody, { method: 'POST', json: { action: 'mark-read' } satisfies ProgressAction })
    let answer = await send()
    if (!answer.ok && answer.status === 0) {
      await new Promise((resolve) => setTimeout(resolve, retryAfterCutMs))
      answer = await send()
    }
    setPending(false)
    if (!answer.ok) return setFailure(answer.status === 0 ? t('markReadUnreachable') : t('markReadFailed', { message: answer.error.message }))
    router.refresh()
  }

  return (
    <div className="mt-8">
      <button
        type="button"
        disabled={pending}
        className="rounded bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60"
        onClick={() => void markRead()}
      >
        {t('markRead')}
      </button>
      {failure && (
        <p role="alert" className="mt-2 text-sm text-red-800">
          {failure}
        </p>
      )}
    </div>
  )
}
