'use client'
import { useTranslations } from 'next-intl'
import { useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { solutionRunSchema, type SolutionRun as Run, type SolutionRunAssertion as Assertion } from '@/lib/classes/schemas'
import { secondaryButtonClass, useErrorText } from './api'

/** The lines of one run, under the label of their check when its author gave one. */
export function SolutionChecklist({ title, assertions }: { title: string; assertions: Assertion[] }) {
  return (
    <div>
      <p className="font-medium">{title}</p>
      <ul className="mt-1 space-y-0.5">
        {assertions.map((a, i) => (
          <li key={a.id} className={a.passed ? 'text-emerald-900' : 'text-red-900'}>
            {a.label && a.check !== assertions[i - 1]?.check && (
              <span className="block text-xs font-semibold uppercase tracking-wide text-slate-600" data-check-label="">
                {a.label}
              </span>
            )}
            <span aria-hidden="true">{a.passed ? '✓' : a.pending ? '…' : '✗'} </span>
            {a.message}
          </li>
        ))}
      </ul>
    </div>
  )
}

/** Runs the exercise's solution in a fresh sandbox and shows the checks before and after. */
export function RunSolutionButton({ courseSlug, lessonSlug, exerciseId }: { courseSlug: string; lessonSlug: string; exerciseId: string }) {
  const t = useTranslations('teach.preview.run')
  const errorText = useErrorText()
  const [pending, setPending] = useState(false)
  const [run, setRun] = useState<Run | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function onClick() {
    setPending(true)
    setRun(null)
    setError(null)
    const result = await fetchJson('/api/teach/run-solution', solutionRunSchema, { method: 'POST', json: { courseSlug, lessonSlug, exerciseId } })
    setPending(false)
    if (result.ok) setRun(result.data)
    else setError(t('unavailable', { reason: result.error.code === 'http' || result.error.code === 'network' ? errorText(result.error) : result.error.message }))
  }

  return (
    <div className="mt-3 text-sm">
      <button type="button" className={secondaryButtonClass} disabled={pending} onClick={onClick}>
        {t('button')}
      </button>
      <div aria-live="polite" className="mt-2">
        {pending && <p className="text-slate-700">{t('pending')}</p>}
        {error && (
          <p role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">
            {error}
          </p>
        )}
        {run && (
          <div className="space-y-3 rounded border border-slate-200 p-3" data-testid="solution-run">
            <p className={`font-semibold ${run.ok ? 'text-emerald-800' : 'text-red-800'}`}>{run.ok ? t('ok') : run.before.passed ? t('passesFresh') : t('notOk')}</p>
            <SolutionChecklist title={t('before')} assertions={run.before.assertions} />
            <details>
              <summary className="cursor-pointer">{t('output', { code: run.solution.exitCode })}</summary>
              <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{run.solution.output}</pre>
            </details>
            <SolutionChecklist title={t('after')} assertions={run.after.assertions} />
          </div>
        )}
      </div>
    </div>
  )
}
