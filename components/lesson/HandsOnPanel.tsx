'use client'
import { useTranslations } from 'next-intl'

export type HandsOnPanelProps = {
  courseSlug: string
  lessonSlug: string
  nodes: { name: string; role: string }[]
  signedIn: boolean
}

/** The right half of a hands-on lesson: sandbox terminal, files, ports and the exercise panel. */
export function HandsOnPanel({ signedIn }: HandsOnPanelProps) {
  const t = useTranslations('learn.lesson')
  return (
    <section aria-label={t('handsOnPanel')} className="flex h-full flex-col bg-slate-950 text-slate-100">
      <p className="p-4 text-sm">{signedIn ? t('workspaceLoading') : t('signInToTrack')}</p>
    </section>
  )
}
