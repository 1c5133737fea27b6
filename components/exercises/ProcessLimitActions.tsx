'use client'
import { useTranslations } from 'next-intl'
import { useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { killedProcessesSchema, sandboxApi } from '@/lib/workspace/api'

type KillState = { kind: 'idle' } | { kind: 'killing' } | { kind: 'done'; killed: number } | { kind: 'failed'; message: string }

/**
 * Shown when a check found the sandbox at its process limit: stop the learner's processes
 * (the nodes and their Docker keep running), or reset the sandbox.
 */
export function ProcessLimitActions({ sandboxId, onReset, onKilled }: { sandboxId: string; onReset?: () => void; onKilled: () => void }) {
  const t = useTranslations('exercises.processLimit')
  const [state, setState] = useState<KillState>({ kind: 'idle' })

  const kill = async () => {
    setState({ kind: 'killing' })
    const answer = await fetchJson(sandboxApi.killProcesses(sandboxId), killedProcessesSchema, { method: 'POST' })
    if (!answer.ok) return setState({ kind: 'failed', message: answer.error.message })
    setState({ kind: 'done', killed: answer.data.killed })
    onKilled()
  }

  const button = 'rounded border px-3 py-1 text-sm font-medium focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 disabled:opacity-50'
  return (
    <div className="flex flex-wrap items-center gap-2" data-process-limit-actions="">
      <button type="button" className={`${button} border-red-700 bg-red-700 text-white hover:bg-red-800`} disabled={state.kind === 'killing'} onClick={() => void kill()}>
        {t('kill')}
      </button>
      {onReset && (
        <button type="button" className={`${button} border-slate-400 hover:bg-slate-100`} onClick={onReset}>
          {t('reset')}
        </button>
      )}
      <p role="status" className="w-full text-sm">
        {state.kind === 'killing' ? t('killing') : state.kind === 'done' ? t('killed', { count: state.killed }) : state.kind === 'failed' ? t('failed', { message: state.message }) : ''}
      </p>
    </div>
  )
}
