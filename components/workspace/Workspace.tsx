'use client'
import { useFormatter, useTranslations } from 'next-intl'
import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react'
import { z } from 'zod'
import { terminalInputEvent } from '@/lib/content/paths'
import { isBrokenEndReason } from '@/lib/sandbox/types'
import type { TerminalClient } from '@/lib/terminal/client'
import { fetchJson, type FetchJsonInit, type Fetched } from '@/lib/http/client'
import type { ApiErrorBody } from '@/lib/errors'
import { discardedSchema, sandboxApi, sandboxViewSchema, type KeptWarning, type OpenSandboxBody, type SandboxView } from '@/lib/workspace/api'
import { ConfirmDialog } from './ConfirmDialog'
import FilesPanel from './FilesPanel'
import { KeptWorkCard } from './KeptWorkCard'
import PortsPanel from './PortsPanel'
import { StartingState } from './StartingState'
import StepsPanel from './StepsPanel'
import TerminalView from './TerminalView'

export type WorkspaceProps = {
  courseSlug: string
  lessonSlug: string
  nodes: { name: string; role: string }[]
  /** Kept work about to be removed: shown (KeptWorkCard) instead of resumed until the learner chooses. */
  keptWarning?: KeptWarning | null
  /** `askReset` opens the reset confirmation, for panels that offer a reset of their own. */
  children?: (sandbox: { id: string; status: string }, actions: { askReset: () => void }) => ReactNode
}

type Phase =
  | { kind: 'kept' }
  | { kind: 'starting'; since: number }
  | { kind: 'ready'; view: SandboxView; fetchedAt: number }
  | { kind: 'ended'; view: SandboxView | null }
  | { kind: 'error'; error: ApiErrorBody['error']; status: number }

type Tab = { kind: 'node'; node: string } | { kind: 'files' } | { kind: 'ports' } | { kind: 'steps' }
const tabKey = (tab: Tab) => (tab.kind === 'node' ? `node-${tab.node}` : tab.kind)

// A lesson's code block asks to paste (or run) a command: validated like any other input.
const terminalInputSchema = z.object({ text: z.string().max(64 * 1024), run: z.boolean(), node: z.string().max(64).optional() })

type Result = Fetched<SandboxView>

/** Every sandbox call answers the sandbox's view. */
const call = (url: string, init?: FetchJsonInit): Promise<Result> => fetchJson(url, sandboxViewSchema, init)

function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`
}

export default function Workspace({ courseSlug, lessonSlug, nodes, keptWarning = null, children }: WorkspaceProps) {
  const t = useTranslations('workspace')
  const format = useFormatter()
  const [phase, setPhase] = useState<Phase>(() => (keptWarning ? { kind: 'kept' } : { kind: 'starting', since: Date.now() }))
  // Kept work about to go: nothing starts until the learner chooses on its card.
  const holdForKept = useRef(keptWarning !== null)
  const [tab, setTab] = useState<Tab>({ kind: 'node', node: nodes[0]?.name ?? 'node1' })
  const [visited, setVisited] = useState<Set<string>>(() => new Set())
  const [confirm, setConfirm] = useState<'reset' | 'stop' | null>(null)
  const [now, setNow] = useState(() => Date.now())
  // The notice of a resumed (or lost) kept work, until dismissed; and the terminals' generation,
  // moved on when a step's restore restarted the nodes (their shells are new).
  const [keptNotice, setKeptNotice] = useState<'resumed' | 'lost' | null>(null)
  const [generation, setGeneration] = useState(0)
  const clients = useRef(new Map<string, TerminalClient>())
  const pending = useRef<{ node: string; text: string; run: boolean }[]>([])
  const lastNode = useRef(nodes[0]?.name ?? 'node1')
  const baseId = useId()
  const nodeNames = useMemo(() => nodes.map((n) => n.name), [nodes])

  const applyResult = useCallback((result: Result) => {
    if (!result.ok) return setPhase({ kind: 'error', error: result.error, status: result.status })
    const view = result.data
    if (view.status === 'ended' || view.status === 'failed') return setPhase({ kind: 'ended', view })
    if (view.resumedFrom) setKeptNotice('resumed')
    if (view.keptWorkLost) setKeptNotice('lost')
    if (view.status === 'running') return setPhase({ kind: 'ready', view, fetchedAt: Date.now() })
    setPhase((p) => (p.kind === 'starting' ? p : { kind: 'starting', since: Date.now() }))
  }, [])

  // Opens (or reuses) the sandbox and follows it while it starts. Results arrive in callbacks;
  // `live` stops a stale run (unmount, or a newer run) from touching the state.
  const runId = useRef(0)
  const requestSandbox = useCallback(async () => {
    const id = ++runId.current
    const live = () => id === runId.current
    const result = await call(sandboxApi.open, { method: 'POST', json: { courseSlug, lessonSlug } satisfies OpenSandboxBody })
    if (!live()) return
    applyResult(result)
    // A sandbox still starting: follow it until it runs (or fails).
    if (result.ok && result.data.status === 'starting') {
      const sandbox = result.data.id
      for (let i = 0; i < 120 && live(); i++) {
        await new Promise((r) => setTimeout(r, 1000))
        const next = await call(sandboxApi.one(sandbox))
        if (!live()) return
        applyResult(next)
        if (!next.ok || next.data.status !== 'starting') break
      }
    }
  }, [courseSlug, lessonSlug, applyResult])

  useEffect(() => {
    const runs = runId
    if (!holdForKept.current) void requestSandbox()
    // Unmounting (or a new lesson) makes the run in flight stale.
    return () => {
      runs.current++
    }
  }, [requestSandbox])

  /** The retry and restart buttons. */
  const open = () => {
    holdForKept.current = false
    setPhase({ kind: 'starting', since: Date.now() })
    void requestSandbox()
  }

  /** Kept work on a server that does not answer: the learner starts over without it. */
  const startOverWithoutKept = async () => {
    holdForKept.current = false
    setPhase({ kind: 'starting', since: Date.now() })
    const discarded = await fetchJson(sandboxApi.discardKept(courseSlug, lessonSlug), discardedSchema, { method: 'DELETE' })
    if (!discarded.ok) return setPhase({ kind: 'error', error: discarded.error, status: discarded.status })
    void requestSandbox()
  }

  const view = phase.kind === 'ready' ? phase.view : null
  const sandboxId = view?.id ?? null

  // The clock for the countdown, and a status refresh every 30 s (the idle deadline moves
  // with activity; the sandbox may also have been stopped from elsewhere).
  const ticking = phase.kind === 'starting' || phase.kind === 'ready'
  useEffect(() => {
    if (!ticking) return
    const tick = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(tick)
  }, [ticking])
  // A terminal that lost its shell asks whether the sandbox itself is gone (its Docker died):
  // at once, then a few times over the server's health interval (5 s), so the panel says so
  // instead of waiting for the next 30 s poll.
  const refreshStatus = useCallback(async () => {
    if (!sandboxId) return
    const run = runId.current
    for (const waitMs of [0, 2000, 4000, 8000]) {
      await new Promise((r) => setTimeout(r, waitMs))
      if (run !== runId.current) return
      const result = await call(sandboxApi.one(sandboxId))
      if (run !== runId.current) return
      if (result.ok && (result.data.status === 'ended' || result.data.status === 'failed')) {
        const ended = result.data
        // Only while this sandbox is still the one on screen (not after a reset replaced it).
        return setPhase((p) => (p.kind === 'ready' && p.view.id === ended.id ? { kind: 'ended', view: ended } : p))
      }
    }
  }, [sandboxId])
  useEffect(() => {
    if (!sandboxId) return
    const poll = setInterval(async () => {
      const result = await call(sandboxApi.one(sandboxId))
      // A network blip is not an end: only a real answer changes the phase.
      if (result.ok || result.status === 404) applyResult(result)
    }, 30_000)
    return () => clearInterval(poll)
  }, [sandboxId, applyResult])

  // Announced once per phase change (the text depends on the phase only, not on the clock).
  const announce =
    phase.kind === 'starting' ? t('status.starting') : phase.kind === 'ready' ? t('status.running') : phase.kind === 'ended' ? t('status.ended') : t('status.failed')

  const register = useCallback((node: string, client: TerminalClient | null) => {
    if (!client) {
      clients.current.delete(node)
      return
    }
    clients.current.set(node, client)
    const mine = pending.current.filter((p) => p.node === node)
    pending.current = pending.current.filter((p) => p.node !== node)
    for (const p of mine) client.paste(p.text, p.run)
  }, [])

  const selectTab = useCallback((next: Tab) => {
    setTab(next)
    if (next.kind === 'node') lastNode.current = next.node
    setVisited((v) => (v.has(tabKey(next)) ? v : new Set(v).add(tabKey(next))))
  }, [])

  useEffect(() => {
    const onInput = (event: Event) => {
      const parsed = terminalInputSchema.safeParse((event as CustomEvent).detail)
      if (!parsed.success) return
      const { text, run, node: wanted } = parsed.data
      const node = wanted && nodeNames.includes(wanted) ? wanted : lastNode.current
      selectTab({ kind: 'node', node })
      const client = clients.current.get(node)
      if (client) client.paste(text, run)
      else pending.current.push({ node, text, run })
    }
    window.addEventListener(terminalInputEvent, onInput)
    return () => window.removeEventListener(terminalInputEvent, onInput)
  }, [nodeNames, selectTab])

  const doConfirmed = async (action: 'reset' | 'stop') => {
    setConfirm(null)
    if (!sandboxId) return
    if (action === 'reset') {
      setKeptNotice(null)
      setPhase({ kind: 'starting', since: Date.now() })
      applyResult(await call(sandboxApi.reset(sandboxId), { method: 'POST' }))
    } else {
      const result = await call(sandboxApi.one(sandboxId), { method: 'DELETE' })
      setPhase(result.ok ? { kind: 'ended', view: result.data } : { kind: 'error', error: result.error, status: result.status })
    }
  }

  const tabs: Tab[] = [...nodeNames.map((node) => ({ kind: 'node' as const, node })), { kind: 'files' }, { kind: 'ports' }, { kind: 'steps' }]
  const tabLabel = (tb: Tab) => (tb.kind === 'node' ? t('tabs.terminal', { node: tb.node }) : t(`tabs.${tb.kind}`))
  const onTabKey = (event: React.KeyboardEvent, index: number) => {
    const move = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
    let target = move ? (index + move + tabs.length) % tabs.length : -1
    if (event.key === 'Home') target = 0
    if (event.key === 'End') target = tabs.length - 1
    if (target < 0) return
    event.preventDefault()
    const next = tabs[target]
    if (!next) return
    selectTab(next)
    document.getElementById(`${baseId}-tab-${tabKey(next)}`)?.focus()
  }

  const secondsLeft = view && view.secondsLeft !== null && phase.kind === 'ready' ? view.secondsLeft - (now - phase.fetchedAt) / 1000 : null
  const maxLeft = view?.expiresAt ? (Date.parse(view.expiresAt) - Date.parse(view.now)) / 1000 - (phase.kind === 'ready' ? (now - phase.fetchedAt) / 1000 : 0) : null
  const button =
    'rounded border px-2.5 py-1 text-xs font-medium focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-400 disabled:opacity-50'

  return (
    <section
      aria-label={t('label')}
      className="relative flex h-full min-h-0 flex-col bg-slate-950 text-slate-100"
      data-workspace-phase={phase.kind}
      data-workspace-generation={generation}
    >
      <p role="status" aria-live="polite" className="sr-only">
        {announce}
      </p>
      <header className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-slate-800 px-3 py-2 text-sm">
        <span className="flex items-center gap-2 font-medium">
          <span
            aria-hidden="true"
            className={`inline-block h-2.5 w-2.5 rounded-full ${
              phase.kind === 'ready' ? 'bg-emerald-400' : phase.kind === 'starting' ? 'animate-pulse bg-amber-400' : phase.kind === 'kept' ? 'bg-slate-400' : 'bg-red-400'
            }`}
          />
          {phase.kind === 'ready'
            ? t('status.running')
            : phase.kind === 'starting'
              ? t('status.starting')
              : phase.kind === 'kept'
                ? t('status.kept')
                : phase.kind === 'ended'
                  ? t('status.ended')
                  : t('status.failed')}
        </span>
        {secondsLeft !== null && (
          <span
            className="font-mono text-xs text-slate-300"
            title={t('timeLeftTitle', {
              idle: formatDuration(view?.idleTimeoutSeconds ?? 0),
              max: formatDuration(maxLeft ?? 0),
            })}
          >
            {t('timeLeft', { time: formatDuration(secondsLeft) })}
          </span>
        )}
        <span className="flex-1" />
        {phase.kind === 'ready' && (
          <>
            <button type="button" className={`${button} border-slate-600 hover:bg-slate-800`} onClick={() => setConfirm('reset')}>
              {t('actions.reset')}
            </button>
            <button type="button" className={`${button} border-red-700 text-red-200 hover:bg-red-950`} onClick={() => setConfirm('stop')}>
              {t('actions.stop')}
            </button>
          </>
        )}
      </header>

      {phase.kind === 'kept' && keptWarning && (
        <KeptWorkCard warning={keptWarning} courseSlug={courseSlug} lessonSlug={lessonSlug} onResume={open} onStartOver={() => void startOverWithoutKept()} />
      )}

      {phase.kind === 'starting' && <StartingState since={phase.since} now={now} />}

      {phase.kind === 'error' && (
        <div role="alert" className="m-4 rounded border border-red-800 bg-red-950 p-4 text-sm text-red-100">
          <p className="font-medium">{errorMessage(t, phase.error, phase.status)}</p>
          {phase.error.fix && (
            <div className="mt-3">
              <p className="text-xs">{t('errors.fixForInstructors')}</p>
              <pre className="mt-1 overflow-x-auto rounded bg-black/40 p-2 font-mono text-xs">{phase.error.fix}</pre>
            </div>
          )}
          {phase.status !== 401 && (
            <button type="button" className={`${button} mt-3 border-red-600 hover:bg-red-900`} onClick={open}>
              {t('actions.retry')}
            </button>
          )}
          {phase.error.code === 'kept_host_unavailable' && (
            <button type="button" className={`${button} ml-2 mt-3 border-red-600 hover:bg-red-900`} onClick={() => void startOverWithoutKept()}>
              {t('kept.startOver')}
            </button>
          )}
        </div>
      )}

      {phase.kind === 'ended' && isBrokenEndReason(phase.view?.endReason) && (
        <div role="alert" className="m-4 rounded border border-red-800 bg-red-950 p-4 text-sm text-red-100" data-sandbox-broken={phase.view?.endReason}>
          <p className="font-medium">{t(phase.view?.endReason === 'host_lost' ? 'broken.hostLostTitle' : 'broken.title')}</p>
          <p className="mt-1">{t(`broken.${phase.view?.endReason ?? 'node_died'}`)}</p>
          <p className="mt-1">{t('broken.progressKept')}</p>
          <button type="button" className={`${button} mt-3 border-sky-600 bg-sky-900 text-white hover:bg-sky-800`} onClick={open}>
            {t('broken.newSandbox')}
          </button>
        </div>
      )}

      {phase.kind === 'ended' && !isBrokenEndReason(phase.view?.endReason) && (
        <div className="m-4 rounded border border-slate-700 p-4 text-sm">
          <p>
            {t('status.ended')}
            {phase.view?.endReason ? ` — ${endReasonText(t, phase.view.endReason)}` : ''}
          </p>
          {phase.view?.error && <p className="mt-1 text-red-300">{phase.view.error}</p>}
          <button type="button" className={`${button} mt-3 border-sky-600 hover:bg-sky-950`} onClick={open}>
            {t('actions.restart')}
          </button>
        </div>
      )}

      {view && keptNotice && (
        <div
          role={keptNotice === 'lost' ? 'alert' : 'status'}
          data-kept-notice={keptNotice}
          className={`flex flex-wrap items-center gap-2 border-b px-3 py-2 text-xs ${keptNotice === 'lost' ? 'border-amber-700 bg-amber-950 text-amber-100' : 'border-emerald-800 bg-emerald-950 text-emerald-100'}`}
        >
          <span className="flex-1">
            {keptNotice === 'lost' ? t('kept.lost') : t('kept.resumed', { ago: view.resumedFrom ? format.relativeTime(new Date(view.resumedFrom), now) : '' })}
          </span>
          {keptNotice === 'resumed' && (
            <button type="button" className={`${button} border-emerald-600 hover:bg-emerald-900`} onClick={() => setConfirm('reset')}>
              {t('kept.startOver')}
            </button>
          )}
          <button type="button" className={`${button} border-transparent hover:bg-black/20`} onClick={() => setKeptNotice(null)}>
            {t('kept.dismiss')}
          </button>
        </div>
      )}

      {view && (
        <>
          <div role="tablist" aria-label={t('tabs.label')} className="flex gap-1 overflow-x-auto border-b border-slate-800 px-2 pt-1.5">
            {tabs.map((tb, index) => {
              const selected = tabKey(tb) === tabKey(tab)
              return (
                <button
                  key={tabKey(tb)}
                  id={`${baseId}-tab-${tabKey(tb)}`}
                  type="button"
                  role="tab"
                  aria-selected={selected}
                  aria-controls={`${baseId}-panel-${tabKey(tb)}`}
                  tabIndex={selected ? 0 : -1}
                  onClick={() => selectTab(tb)}
                  onKeyDown={(e) => onTabKey(e, index)}
                  className={`whitespace-nowrap rounded-t px-3 py-1.5 text-xs font-medium focus-visible:outline focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-sky-400 ${
                    selected ? 'bg-slate-800 text-white' : 'text-slate-400 hover:text-slate-100'
                  }`}
                >
                  {tabLabel(tb)}
                </button>
              )
            })}
          </div>
          <div className="relative min-h-0 flex-1">
            {tabs.map((tb) => {
              const key = tabKey(tb)
              const selected = key === tabKey(tab)
              // Terminals stay mounted (their shells keep running); other panels mount on first visit.
              const mounted = tb.kind === 'node' || selected || visited.has(key)
              return (
                <div
                  key={`${view.id}-${generation}-${key}`}
                  id={`${baseId}-panel-${key}`}
                  role="tabpanel"
                  aria-labelledby={`${baseId}-tab-${key}`}
                  hidden={!selected}
                  className="absolute inset-0"
                >
                  {mounted && tb.kind === 'node' && (
                    <TerminalView
                      sandboxId={view.id}
                      node={tb.node}
                      courseSlug={courseSlug}
                      lessonSlug={lessonSlug}
                      active={selected}
                      register={register}
                      onShellLost={refreshStatus}
                    />
                  )}
                  {mounted && tb.kind === 'files' && <FilesPanel sandboxId={view.id} courseSlug={courseSlug} lessonSlug={lessonSlug} active={selected} />}
                  {mounted && tb.kind === 'ports' && <PortsPanel sandboxId={view.id} active={selected} />}
                  {mounted && tb.kind === 'steps' && <StepsPanel sandboxId={view.id} active={selected} onRestored={() => setGeneration((g) => g + 1)} />}
                </div>
              )
            })}
          </div>
          {children && (
            // `relative`: the panel's screen-reader-only text (position: absolute) stays inside
            // this scrolling box instead of growing the page below it.
            <div aria-label={t('exercisesLabel')} role="region" className="relative max-h-[45%] min-h-0 overflow-y-auto overscroll-contain border-t border-slate-700 bg-white text-slate-900">
              {children({ id: view.id, status: view.status }, { askReset: () => setConfirm('reset') })}
            </div>
          )}
        </>
      )}

      <ConfirmDialog
        open={confirm !== null}
        title={confirm === 'reset' ? t('confirm.resetTitle') : t('confirm.stopTitle')}
        body={confirm === 'reset' ? t('confirm.resetBody') : t('confirm.stopBody')}
        confirmLabel={confirm === 'reset' ? t('actions.reset') : t('actions.stop')}
        cancelLabel={t('actions.cancel')}
        onConfirm={() => confirm && void doConfirmed(confirm)}
        onCancel={() => setConfirm(null)}
      />
    </section>
  )
}

type T = ReturnType<typeof useTranslations<'workspace'>>

function errorMessage(t: T, error: ApiErrorBody['error'], status: number): string {
  const minutes = Math.max(1, Math.ceil((error.retryAfterSeconds ?? 60) / 60))
  switch (error.code) {
    case 'network':
      return t('errors.network')
    case 'unauthenticated':
      return t('errors.signIn')
    case 'capacity_full':
      return t('errors.capacity', { minutes })
    case 'rate_limited':
      return t('errors.rateLimit', { minutes })
    case 'host_full':
      return t('errors.hostFull')
    case 'sandbox_busy':
      return t('errors.busy')
    case 'host_setup':
      return t('errors.hostSetup')
    case 'kept_host_unavailable':
      return t('errors.keptHostUnavailable')
    default:
      return status === 401 ? t('errors.signIn') : t('errors.generic', { message: error.message })
  }
}

function endReasonText(t: T, reason: string): string {
  switch (reason) {
    case 'idle':
    case 'lifetime':
    case 'stopped':
    case 'reset':
    case 'switched':
      return t(`endReason.${reason}`)
    default:
      return t('endReason.other')
  }
}
