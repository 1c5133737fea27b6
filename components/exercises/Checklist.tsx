'use client'
import clsx from 'clsx'
import { useLocale, useTranslations } from 'next-intl'
import { Suspense, use } from 'react'
import type { AssertionView } from '@/lib/progress/api'
import type { PublicCheck } from '@/lib/checks/public'
import { checkTranslator } from '@/lib/checks/catalogue'
import { renderMessageWithOutputs, type MessageKey, type MessageParams, type RenderedMessage } from '@/lib/checks/messages'

export type ClientAssertion = AssertionView

/**
 * One line per assertion, grouped under its check's label: ✓ passed, ✗ failed, … waiting.
 * A tool's output that the message explains in the learner's words (curl's "Failed to
 * connect…") is kept, as it is, in a disclosure under the line. The lines' messages come from
 * the assertion catalogue, loaded apart (lib/checks/catalogue.ts): a check's title shows at once,
 * its lines once the catalogue is there.
 */
export function Checklist({ checks, assertions }: { checks: PublicCheck[]; assertions: ClientAssertion[] | null }) {
  const t = useTranslations('exercises')
  return (
    <ol className="space-y-3" aria-label={t('panel.checklist')}>
      {checks.map((check) => {
        const lines = assertions?.filter((a) => a.check === check.index) ?? []
        const title = check.label ?? t(`summary.${check.summary.key}` as never, check.summary.params as never)
        return (
          <li key={check.index}>
            <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">
              {title}
              {check.runsCommand && (
                <span className="ml-1 normal-case" title={t('panel.runsCommand')}>
                  <span aria-hidden="true">⚙</span>
                  <span className="sr-only"> ({t('panel.runsCommand')})</span>
                </span>
              )}
            </p>
            {lines.length > 0 && (
              <Suspense fallback={<p className="mt-1 text-sm text-slate-500">…</p>}>
                <Lines lines={lines} />
              </Suspense>
            )}
          </li>
        )
      })}
    </ol>
  )
}

function Lines({ lines }: { lines: ClientAssertion[] }) {
  const t = useTranslations('exercises')
  const messages = use(checkTranslator(useLocale()))
  const render = (a: ClientAssertion): RenderedMessage => {
    try {
      if (messages.has(a.key)) return renderMessageWithOutputs(messages, a.key as MessageKey, a.params as MessageParams)
    } catch {
      // An unreadable message (a key from another version): its id says which assertion it is.
    }
    return { text: a.id, outputs: [] }
  }
  return (
    <ul className="mt-1 space-y-1">
      {lines.map((a) => {
        const state = a.passed ? 'passed' : a.pending ? 'pending' : 'failed'
        const message = render(a)
        return (
          <li key={a.id} data-assertion={a.id} data-state={state} className="flex gap-2 text-sm leading-snug">
            <span aria-hidden="true" className={clsx('mt-px w-4 shrink-0 text-center font-bold', state === 'passed' ? 'text-emerald-600' : state === 'failed' ? 'text-red-600' : 'text-slate-400')}>
              {state === 'passed' ? '✓' : state === 'failed' ? '✗' : '…'}
            </span>
            <div className={clsx('min-w-0 first-letter:uppercase', state === 'pending' && 'text-slate-500')}>
              <span className="sr-only">{t('panel.lineState', { state: t(`panel.${state}`) })} </span>
              <span data-message="">{message.text}</span>
              {message.outputs.length > 0 && (
                <details className="mt-1 text-xs">
                  <summary className="cursor-pointer text-slate-600">{t('panel.output')}</summary>
                  <pre className="mt-1 whitespace-pre-wrap break-all rounded bg-slate-100 px-2 py-1 font-mono text-slate-800">{message.outputs.join('\n')}</pre>
                </details>
              )}
            </div>
          </li>
        )
      })}
    </ul>
  )
}
