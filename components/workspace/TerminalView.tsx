'use client'
import '@xterm/xterm/css/xterm.css'
import { useTranslations } from 'next-intl'
import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import { TerminalClient, type TerminalState } from '@/lib/terminal/client'

export type TerminalViewProps = {
  sandboxId: string
  node: string
  courseSlug: string
  lessonSlug: string
  active: boolean
  /** The Workspace keeps a handle per node to paste lesson commands into it. */
  register: (node: string, client: TerminalClient | null) => void
  /** The shell ended or the connection dropped: the sandbox itself may be gone. */
  onShellLost?: () => void
}

/** A thin wrapper: creates the TerminalClient in an effect, disposes it on unmount. */
export default function TerminalView({ sandboxId, node, courseSlug, lessonSlug, active, register, onShellLost }: TerminalViewProps) {
  const t = useTranslations('workspace.terminal')
  const container = useRef<HTMLDivElement>(null)
  const clientRef = useRef<TerminalClient | null>(null)
  const [state, setState] = useState<TerminalState>({ kind: 'connecting' })
  // Messages are read through a ref so that a language switch does not reconnect the shell.
  const tRef = useRef(t)
  useLayoutEffect(() => {
    tRef.current = t
  }, [t])

  useEffect(() => {
    const element = container.current
    if (!element) return
    const client = new TerminalClient({
      sandboxId,
      node,
      session: 0,
      courseSlug,
      lessonSlug,
      container: element,
      onState: setState,
      messages: {
        exited: (code) => tRef.current('exitedLine', { code: code === null ? 'none' : String(code) }),
        newShell: tRef.current('newShell'),
        lost: tRef.current('lost'),
        takenOver: tRef.current('takenOverLine'),
      },
    })
    clientRef.current = client
    register(node, client)
    client.connect()
    return () => {
      register(node, null)
      clientRef.current = null
      client.dispose()
    }
  }, [sandboxId, node, courseSlug, lessonSlug, register])

  useEffect(() => {
    if (active) clientRef.current?.focus()
  }, [active])

  const lost = state.kind === 'exited' || state.kind === 'reconnecting'
  useEffect(() => {
    if (lost) onShellLost?.()
  }, [lost, onShellLost])

  const banner = (() => {
    switch (state.kind) {
      case 'open':
        return null
      case 'connecting':
        return t('connecting')
      case 'reconnecting':
        return t('reconnecting', { seconds: Math.max(1, Math.round(state.inMs / 1000)), attempt: state.attempt })
      case 'exited':
        return state.code === null ? t('exitedUnknown') : t('exited', { code: state.code })
      case 'taken-over':
        return t('takenOver')
      case 'closed':
        return t('closed')
    }
  })()

  return (
    <div className="flex h-full min-h-0 flex-col" data-terminal-node={node} data-terminal-state={state.kind}>
      <div role="status" aria-live="polite" className={banner ? 'flex items-center gap-3 bg-amber-100 px-3 py-1 text-sm text-amber-950' : 'sr-only'}>
        <span>{banner ?? t('open')}</span>
        {(state.kind === 'reconnecting' || state.kind === 'taken-over') && (
          <button
            type="button"
            className="rounded border border-amber-700 px-2 py-0.5 text-xs font-medium hover:bg-amber-200 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-800"
            onClick={() => clientRef.current?.reconnect()}
          >
            {state.kind === 'taken-over' ? t('takeBack') : t('reconnectNow')}
          </button>
        )}
      </div>
      <div
        ref={container}
        role="group"
        aria-label={t('label', { node })}
        title={t('help')}
        className="min-h-0 flex-1 bg-slate-950 p-1 focus-within:outline focus-within:outline-2 focus-within:-outline-offset-2 focus-within:outline-sky-400"
      />
    </div>
  )
}
