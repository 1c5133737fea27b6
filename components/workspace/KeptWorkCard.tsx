'use client'
import { useFormatter, useTranslations } from 'next-intl'
import { useState } from 'react'
import { sandboxApi, type KeptWarning } from '@/lib/workspace/api'
import { ConfirmDialog } from './ConfirmDialog'
import { KeptDownloadButton } from './KeptDownloadButton'

const button =
  'rounded border px-2.5 py-1 text-xs font-medium focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-400 disabled:opacity-50'

/**
 * Kept work about to be removed (docs/persistence.md): the lesson does not resume it by itself
 * but says so, with its size and last use, and offers to resume it (kept for the full retention
 * again), to download its folder without resuming it, or to start over (after a confirmation).
 */
export function KeptWorkCard({ warning, courseSlug, lessonSlug, onResume, onStartOver }: { warning: KeptWarning; courseSlug: string; lessonSlug: string; onResume: () => void; onStartOver: () => void }) {
  const t = useTranslations('workspace.kept')
  const format = useFormatter()
  const [confirming, setConfirming] = useState(false)
  const now = new Date()
  const expires = new Date(warning.expiresAt)
  return (
    <div role="region" aria-labelledby="kept-card-title" className="m-4 rounded border border-amber-700 bg-amber-950 p-4 text-sm text-amber-50" data-kept-card>
      <p id="kept-card-title" className="font-medium">
        {t('card.kept', {
          size: format.number(warning.keptMb, { style: 'unit', unit: 'megabyte', unitDisplay: 'short', maximumFractionDigits: 0 }),
          lastUsed: format.relativeTime(new Date(warning.lastUsedAt), now),
        })}
      </p>
      <p className="mt-1">
        {t('card.expires', { when: format.relativeTime(expires, now), date: format.dateTime(expires, { dateStyle: 'long', timeStyle: 'short' }) })}
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <button type="button" className={`${button} border-sky-600 bg-sky-900 text-white hover:bg-sky-800`} onClick={onResume} data-kept-resume>
          {t('card.resume')}
        </button>
        <KeptDownloadButton
          href={sandboxApi.keptArchive(courseSlug, lessonSlug)}
          className={`${button} border-amber-600 hover:bg-amber-900`}
          labels={{
            label: t('card.download'),
            busy: t('card.downloading'),
            errors: { kept_not_found: t('card.errors.kept_not_found'), kept_busy: t('card.errors.kept_busy'), kept_host_unavailable: t('hostUnavailable'), rate_limited: t('card.errors.rate_limited'), network: t('card.errors.network'), other: t('card.errors.other') },
          }}
        />
        <button type="button" className={`${button} border-red-700 text-red-100 hover:bg-red-950`} onClick={() => setConfirming(true)} data-kept-start-over>
          {t('startOver')}
        </button>
      </div>
      <p className="mt-2 text-xs text-amber-200">{t('card.resumeKeeps', { days: warning.keepDays })}</p>
      <ConfirmDialog
        open={confirming}
        title={t('card.confirmTitle')}
        body={t('card.confirmBody')}
        confirmLabel={t('startOver')}
        cancelLabel={t('card.cancel')}
        onConfirm={() => {
          setConfirming(false)
          onStartOver()
        }}
        onCancel={() => setConfirming(false)}
      />
    </div>
  )
}
