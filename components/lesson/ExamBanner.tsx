'use client'
import { useRouter } from 'next/navigation'
import { useTranslations } from 'next-intl'
import { useEffect, useState } from 'react'

/** "1:05:09", "4:07": what is left of a window, for a clock. */
export function formatLeft(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const two = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`
}

/**
 * Exam mode's notice on a lesson, with the time left. When the window closes the page is
 * rendered again, so hints and solutions come back without a manual reload.
 */
export function ExamBanner({ endsAt }: { endsAt: string }) {
  const t = useTranslations('learn.exam')
  const router = useRouter()
  const end = Date.parse(endsAt)
  const [now, setNow] = useState<number | null>(null)
  useEffect(() => {
    const tick = () => setNow(Date.now())
    tick()
    const timer = setInterval(tick, 1000)
    return () => clearInterval(timer)
  }, [])
  const over = now !== null && now >= end
  useEffect(() => {
    if (over) router.refresh()
  }, [over, router])
  return (
    <section aria-label={t('title')} className="mt-4 rounded-lg border-2 border-amber-500 bg-amber-50 px-4 py-3 text-amber-950" data-testid="exam-banner">
      <div className="flex flex-wrap items-baseline justify-between gap-3">
        <h2 className="font-bold">{t('title')}</h2>
        <p className="font-mono text-lg font-semibold tabular-nums">
          <span className="sr-only">{t('clock')} </span>
          <span role="timer" aria-label={t('clock')} data-testid="exam-clock">
            {over ? t('over') : now === null ? '' : formatLeft(end - now)}
          </span>
        </p>
      </div>
      <p className="mt-1 text-sm">{t('body')}</p>
    </section>
  )
}
