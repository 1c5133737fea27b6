'use client'
import { useFormatter, useTranslations } from 'next-intl'
import { useCallback, useEffect, useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { sandboxApi, stepListSchema, type StepListView } from '@/lib/workspace/api'
import { ConfirmDialog } from './ConfirmDialog'

type Step = StepListView['steps'][number]

/**
 * The steps of the sandbox (docs/persistence.md): one per exercise passed with "Vérifier",
 * each a snapshot of the whole sandbox. Going back replaces the current state, after a confirmation.
 */
export default function StepsPanel({ sandboxId, active, onRestored }: { sandboxId: string; active: boolean; onRestored: () => void }) {
  const t = useTranslations('workspace.steps')
  const format = useFormatter()
  const [steps, setSteps] = useState<Step[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [asked, setAsked] = useState<Step | null>(null)
  const [restoring, setRestoring] = useState<string | null>(null)

  const load = useCallback(() => fetchJson(sandboxApi.steps(sandboxId), stepListSchema), [sandboxId])

  useEffect(() => {
    if (!active) return
    let live = true
    void load().then((answer) => {
      if (!live) return
      if (!answer.ok) return setError(answer.error.message)
      setSteps(answer.data.steps)
      setError(null)
    })
    return () => {
      live = false
    }
  }, [active, load])

  const restore = async (step: Step) => {
    setAsked(null)
    setRestoring(step.id)
    const answer = await fetchJson(sandboxApi.restoreStep(sandboxId, step.id), stepListSchema, { method: 'POST', json: { confirm: true } })
    setRestoring(null)
    if (!answer.ok) return setError(t('failed', { message: answer.error.message }))
    setSteps(answer.data.steps)
    onRestored()
  }

  return (
    <section aria-label={t('label')} className="h-full overflow-y-auto p-3 text-sm" data-steps-panel>
      <p className="text-slate-300">{t('intro')}</p>
      {error && (
        <p role="alert" className="mt-2 text-red-300">
          {error}
        </p>
      )}
      {steps && steps.length === 0 && <p className="mt-3 text-slate-400">{t('none')}</p>}
      {steps && steps.length > 0 && (
        <ol className="mt-3 space-y-2">
          {steps.map((step) => (
            <li key={step.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded border border-slate-700 px-3 py-2" data-step={step.exerciseId}>
              <span className="font-mono text-xs">{step.exerciseId}</span>
              <span className="text-xs text-slate-400">{format.dateTime(new Date(step.createdAt), { dateStyle: 'short', timeStyle: 'short' })}</span>
              <span className="flex-1" />
              <button
                type="button"
                disabled={restoring !== null}
                onClick={() => setAsked(step)}
                className="rounded border border-sky-600 px-2.5 py-1 text-xs font-medium hover:bg-sky-950 focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-400 disabled:opacity-50"
              >
                {restoring === step.id ? t('restoring') : t('restore')}
              </button>
            </li>
          ))}
        </ol>
      )}
      <ConfirmDialog
        open={asked !== null}
        title={t('confirmTitle', { exercise: asked?.exerciseId ?? '' })}
        body={t('confirmBody')}
        confirmLabel={t('restore')}
        cancelLabel={t('cancel')}
        onConfirm={() => asked && void restore(asked)}
        onCancel={() => setAsked(null)}
      />
    </section>
  )
}
