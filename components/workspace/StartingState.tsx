'use client'
import { useTranslations } from 'next-intl'
import { useEffect, useState } from 'react'
import { sandboxApi, startProgressSchema, type StartProgressView } from '@/lib/workspace/api'
import { fetchJson } from '@/lib/http/client'

const POLL_MS = 1000

/**
 * The panel while the learner's sandbox is being opened: their place in the start queue while
 * they wait ("12 ahead of you", with the share of the wait done), then the start itself. It asks
 * the server every second (GET start-progress): the page never looks frozen.
 */
export function StartingState({ since, now }: { since: number; now: number }) {
  const t = useTranslations('workspace')
  const { progress, firstAhead } = useStartProgress()
  const queued = progress?.phase === 'queued' ? progress : null
  const done = queued && firstAhead ? (firstAhead - queued.ahead) / (firstAhead + 1) : null

  return (
    <div className="flex flex-1 flex-col items-center justify-center gap-3 p-6 text-center">
      {queued ? (
        <p role="status" data-testid="start-queue-place">
          {queued.ahead > 0 ? t('status.queued', { ahead: queued.ahead }) : t('status.queuedNext')}
        </p>
      ) : (
        <p>{t('status.startingDetail', { seconds: Math.round((now - since) / 1000) })}</p>
      )}
      {queued && done !== null ? (
        <div role="progressbar" aria-label={t('status.queueProgress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(done * 100)} className="h-1.5 w-48 overflow-hidden rounded bg-slate-800">
          <div className="h-full rounded bg-sky-400 transition-[width]" style={{ width: `${Math.max(4, Math.round(done * 100))}%` }} />
        </div>
      ) : (
        <div role="progressbar" aria-label={t('status.starting')} className="h-1.5 w-48 overflow-hidden rounded bg-slate-800">
          <div className="h-full w-1/3 animate-[pulse_1s_ease-in-out_infinite] rounded bg-sky-400" />
        </div>
      )}
    </div>
  )
}

/** The latest answer, and the place first seen in the queue (the progress bar's start). */
function useStartProgress(): { progress: StartProgressView | null; firstAhead: number | null } {
  const [progress, setProgress] = useState<StartProgressView | null>(null)
  const [firstAhead, setFirstAhead] = useState<number | null>(null)
  useEffect(() => {
    let stopped = false
    const poll = async () => {
      const answer = await fetchJson(sandboxApi.startProgress, startProgressSchema)
      // A failed poll: the next one tries again; the panel keeps its last word meanwhile.
      if (stopped || !answer.ok) return
      const progress = answer.data
      setProgress(progress)
      if (progress.phase === 'queued') setFirstAhead((first) => first ?? progress.ahead)
    }
    void poll()
    const timer = setInterval(() => void poll(), POLL_MS)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [])
  return { progress, firstAhead }
}
