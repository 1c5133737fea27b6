'use client'
import { useTranslations } from 'next-intl'
import { useRef, useState } from 'react'
import { terminalInputEvent, type TerminalInputDetail } from '@/lib/content/paths'
import { useLessonContext } from '@/components/lesson/LessonContext'
import { copyText } from '@/lib/browser/secure-context'

const shellLanguages = new Set(['bash', 'sh', 'shell', 'zsh', 'console'])

/**
 * A highlighted code block with copy, and on hands-on lessons paste/run into the terminal. The
 * text copied or sent is the block's own, read from the page when the button is pressed: the
 * highlighted lines are text joined by newlines, so the code need not travel a second time in
 * the page's flight data as a prop.
 */
export function CodeBlock(props: Omit<React.ComponentProps<'pre'>, 'children'> & { 'data-language'?: string; html: string }) {
  const { html, ...rest } = props
  const t = useTranslations('learn.code')
  const { handsOn, runButtons } = useLessonContext()
  const [copied, setCopied] = useState(false)
  const pre = useRef<HTMLPreElement>(null)
  const code = () => (pre.current?.textContent ?? '').replace(/\n$/, '')
  const runnable = handsOn && runButtons && shellLanguages.has(props['data-language'] ?? '')

  function send(run: boolean) {
    const detail: TerminalInputDetail = { text: code(), run }
    window.dispatchEvent(new CustomEvent(terminalInputEvent, { detail }))
  }

  const language = props['data-language']
  return (
    <div>
      {html && (
        <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-3 py-1">
          <span className="font-mono text-xs text-slate-600">{language && language !== 'text' ? language : ''}</span>
          <div className="flex gap-1">
            {runnable && (
              <>
                <button type="button" className="code-action" onClick={() => send(false)} title={t('pasteTitle')}>
                  {t('paste')}
                </button>
                <button type="button" className="code-action" onClick={() => send(true)} title={t('runTitle')}>
                  {t('run')}
                </button>
              </>
            )}
            <button
              type="button"
              className="code-action"
              onClick={async () => {
                if (!(await copyText(code()))) return
                setCopied(true)
                setTimeout(() => setCopied(false), 1500)
              }}
            >
              <span aria-live="polite">{copied ? t('copied') : t('copy')}</span>
            </button>
          </div>
        </div>
      )}
      {/* The highlighted lines, as the compiler wrote them (rehypeStaticHtml in lib/content/mdx-plugins.ts). */}
      <pre ref={pre} {...rest} dangerouslySetInnerHTML={{ __html: html }} />
    </div>
  )
}
