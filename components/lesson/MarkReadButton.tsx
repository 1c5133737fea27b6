'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { progressApi, type ProgressAction } from '@/lib/progress/api'

export function MarkReadButton({ courseSlug, lessonSlug, completed }: { courseSlug: string; lessonSlug: string; completed: boolean }) {
  const t = useTranslations('learn.lesson')
  const router = useRouter()
  const [pending, setPending] = useState(false)
  if (completed) return <p className="mt-8 font-medium text-emerald-800">✓ {t('markedRead')}</p>
  return (
    <button
      type="button"
      disabled={pending}
      className="mt-8 rounded bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60"
      onClick={async () => {
        setPending(true)
        await fetchJson(progressApi(courseSlug, lessonSlug), unreadBody, { method: 'POST', json: { action: 'mark-read' } satisfies ProgressAction })
        setPending(false)
        router.refresh()
      }}
    >
      {t('markRead')}
    </button>
  )
}
