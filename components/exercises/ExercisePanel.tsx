'use client'
import clsx from 'clsx'
import { useFormatter, useLocale, useTranslations } from 'next-intl'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { PublicExercise } from '@/lib/checks/public'
import { checkTranslator } from '@/lib/checks/catalogue'
import { checkResponseSchema, exerciseApi, solutionViewSchema, type CheckRequest, type ExerciseRef, type HintRequest } from '@/lib/checks/api'
import { hintsViewSchema, type ExerciseStateView } from '@/lib/progress/api'
import { fetchJson } from '@/lib/http/client'
import { Checklist, type ClientAssertion } from './Checklist'
import { Markdown } from './Markdown'
import { SandboxDiagram } from './SandboxDiagram'
import { ProcessLimitActions } from './ProcessLimitActions'
import { RefreshPage } from './RefreshPage'
import { useLiveChecks } from './useLiveChecks'
import { copyText } from '@/lib/browser/secure-context'

export type ExercisePanelProps = {
  courseSlug: string
  lessonSlug: string
  /** The learner's running sandbox, or null while it starts (checks are disabled meanwhile). */
  sandboxId: string | null
  exercises: PublicExercise[]
  initialState: Record<string, ExerciseStateView>
  /** Asks the workspace to reset the sandbox (offered when it is out of processes). */
  onReset?: () => void
  /** In an exam: no hints nor solution (the server sends neither), and the attempts made in it are shown. */
  exam?: boolean
}

type Shown = { passed: boolean; passedCount: number; totalCount: number; assertions: ClientAssertion[]; durationMs: number; at: string; partial: boolean }

type View = {
  completed: boolean
  /** Clicks on "Vérifier" (in an exam: during the exam). */
  attempts: number
  hints: string[]
  solution: string | null
  shown: Shown | null
  checking: boolean
  error: string | null
}

const focusExerciseEvent = 'quai:focus-exercise'

/**
 * What the panel learned since the page was rendered (completions, hints, the solution, the last
 * result), kept per render of the page's state: a reset unmounts the panel while the new sandbox
 * starts, and the panel that comes back must not return to the progress the page had when it
 * loaded. A new render of the page (navigation, refresh, another learner) brings a new
 * initialState, and the panel starts from it.
 */
const learned = new WeakMap<Record<string, ExerciseStateView>, Record<string, View>>()

function keptViews(exercises: PublicExercise[], state: Record<string, ExerciseStateView>): Record<string, View> {
  const kept = learned.get(state)
  if (!kept) return initialViews(exercises, state)
  return Object.fromEntries(Object.entries(kept).map(([id, view]) => [id, { ...view, checking: false, error: null }]))
}

function initialViews(exercises: PublicExercise[], state: Record<string, ExerciseStateView>): Record<string, View> {
  return Object.fromEntries(
    exercises.map((e) => {
      const s = state[e.id]
      const last = s?.lastAttempt
      return [
        e.id,
        {
          completed: s?.completed ?? false,
          attempts: s?.attempts ?? 0,
          hints: s?.hints ?? [],
          solution: s?.solution ?? null,
          shown: last ? { ...last, assertions: last.assertions, at: last.createdAt, partial: false } : null,
          checking: false,
          error: null,
        },
      ]
    }),
  )
}

/** The exercises of a hands-on lesson: instructions, "Vérifier", the checklist, hints, solution, live updates and a diagram. */
type Announcement = { kind: 'allPassed' } | { kind: 'score'; passed: number; total: number } | { kind: 'hints'; n: number } | { kind: 'error'; code: string; message: string }

export function ExercisePanel({ courseSlug, lessonSlug, sandboxId, exercises, initialState, onReset, exam = false }: ExercisePanelProps) {
  const t = useTranslations('exercises')
  const format = useFormatter()
  const locale = useLocale()
  const [views, setViews] = useState(() => keptViews(exercises, initialState))
  const [openId, setOpenId] = useState<string | null>(() => exercises.find((e) => !views[e.id]?.completed)?.id ?? exercises[0]?.id ?? null)
  const [liveEnabled, setLiveEnabled] = useState(true)
  const [confirming, setConfirming] = useState<string | null>(null)
  // The exercise whose check found the sandbox at its process limit (its actions show there).
  const [outOfProcesses, setOutOfProcesses] = useState<string | null>(null)
  // What the screen reader is told, as data: rendered in the reader's current language (a
  // locale switch while the lesson is open re-reads it).
  const [announcement, setAnnouncement] = useState<Announcement | null>(null)
  const sectionRefs = useRef(new Map<string, HTMLElement>())
  const confirmRef = useRef<HTMLButtonElement>(null)

  const update = useCallback((id: string, change: Partial<View> | ((v: View) => Partial<View>)) => {
    setViews((all) => {
      const current = all[id]
      if (!current) return all
      return { ...all, [id]: { ...current, ...(typeof change === 'function' ? change(current) : change) } }
    })
  }, [])

  const errorText = (code: string, message: string) => t('panel.error', { message: t.has(`errors.${code}` as never) ? t(`errors.${code}` as never) : t('errors.other', { message }) })

  const announce = useCallback((shown: Shown) => setAnnouncement(shown.passed ? { kind: 'allPassed' } : { kind: 'score', passed: shown.passedCount, total: shown.totalCount }), [])
  const announcementText = (a: Announcement | null): string => {
    if (!a) return ''
    switch (a.kind) {
      case 'allPassed':
        return t('panel.allPassed')
      case 'score':
        return t('panel.score', { passed: a.passed, total: a.total })
      case 'hints':
        return t('panel.hintN', { n: a.n })
      case 'error':
        return errorText(a.code, a.message)
    }
  }

  const onLiveResult = useCallback(
    (event: { exerciseId: string; result: { passed: boolean; passedCount: number; totalCount: number; assertions: ClientAssertion[]; durationMs: number; checkedAt: string }; partial: boolean; attempt: { completed: boolean } | null }) => {
      const shown: Shown = { ...event.result, at: event.result.checkedAt, partial: event.partial }
      update(event.exerciseId, (v) => ({ shown, completed: v.completed || Boolean(event.attempt?.completed), error: null }))
      announce(shown)
    },
    [announce, update],
  )

  const { live, snapshots, retry: retryLive } = useLiveChecks({ sandboxId, courseSlug, lessonSlug, exerciseId: openId, enabled: liveEnabled && !exam }, onLiveResult)
  // An exam began on this lesson while the page was open (its live stream was ended, and the
  // reconnect refused): the page is rendered again, in exam mode (no help, the clock).
  const examBegan = !exam && live.state === 'ended' && live.code === 'exam_in_progress'

  useEffect(() => {
    learned.set(initialState, views)
  }, [initialState, views])

  // The checklist's messages, loaded apart from the page's (lib/checks/catalogue.ts): fetched
  // now, so that the first result shows without waiting for them.
  useEffect(() => {
    checkTranslator(locale).catch(() => undefined)
  }, [locale])

  // The lesson text's "open the exercise" buttons.
  useEffect(() => {
    const onFocus = (event: Event) => {
      const id = (event as CustomEvent<{ id: string }>).detail?.id
      if (!id || !exercises.some((e) => e.id === id)) return
      setOpenId(id)
      requestAnimationFrame(() => sectionRefs.current.get(id)?.scrollIntoView({ behavior: 'smooth', block: 'start' }))
    }
    window.addEventListener(focusExerciseEvent, onFocus)
    return () => window.removeEventListener(focusExerciseEvent, onFocus)
  }, [exercises])

  useEffect(() => {
    if (confirming) confirmRef.current?.focus()
  }, [confirming])

  const open = (id: string) => {
    setOpenId(id)
    window.dispatchEvent(new CustomEvent(focusExerciseEvent, { detail: { id } }))
  }

  async function check(id: string) {
    if (!sandboxId) return
    update(id, { checking: true, error: null })
    const answer = await fetchJson(exerciseApi.check, checkResponseSchema, { method: 'POST', json: { sandboxId, courseSlug, lessonSlug, exerciseId: id } satisfies CheckRequest })
    setOutOfProcesses(!answer.ok && answer.error.code === 'sandbox_process_limit' ? id : null)
    if (!answer.ok) {
      update(id, { checking: false, error: errorText(answer.error.code, answer.error.message) })
      setAnnouncement({ kind: 'error', code: answer.error.code, message: answer.error.message })
      return
    }
    const shown: Shown = { ...answer.data.result, at: answer.data.result.checkedAt, partial: false }
    update(id, (v) => ({ checking: false, shown, completed: v.completed || answer.data.attempt.completed, attempts: v.attempts + 1 }))
    announce(shown)
  }

  async function revealHint(id: string, index: number) {
    const answer = await fetchJson(exerciseApi.hint, hintsViewSchema, { method: 'POST', json: { courseSlug, lessonSlug, exerciseId: id, index } satisfies HintRequest })
    if (answer.ok) {
      update(id, { hints: answer.data.hints, error: null })
      setAnnouncement({ kind: 'hints', n: answer.data.hints.length })
    } else update(id, { error: errorText(answer.error.code, answer.error.message) })
  }

  async function revealSolution(id: string) {
    setConfirming(null)
    const answer = await fetchJson(exerciseApi.solution, solutionViewSchema, { method: 'POST', json: { courseSlug, lessonSlug, exerciseId: id } satisfies ExerciseRef })
    if (answer.ok) update(id, { solution: answer.data.solution, error: null })
    else update(id, { error: errorText(answer.error.code, answer.error.message) })
  }

  const done = exercises.filter((e) => views[e.id]?.completed).length
  const liveProblem = live.state === 'watching' ? live.problem : undefined
  // Met by a run (the stream goes on) or by the probe of a node's daemon (the stream ended).
  const liveOutOfProcesses = liveProblem?.code === 'sandbox_process_limit' || (live.state === 'ended' && live.code === 'sandbox_process_limit')
  const nodes = Object.entries(snapshots)

  return (
    <section aria-labelledby="exercise-panel-title" className="flex flex-col gap-4 bg-white p-4 text-slate-900">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="exercise-panel-title" className="text-lg font-bold">
          {t('panel.title')}
        </h2>
        <p className="text-sm text-slate-600">{t('panel.progress', { done, total: exercises.length })}</p>
      </header>

      {exam ? (
        // Live mode is help that never stops: not offered in an exam (its route refuses too).
        <p className="text-xs text-slate-600" data-testid="live-exam">
          {sandboxId ? t('panel.liveExam') : t('panel.noSandbox')}
        </p>
      ) : (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <label className="inline-flex items-center gap-2">
            <input type="checkbox" checked={liveEnabled} onChange={(e) => setLiveEnabled(e.target.checked)} disabled={!sandboxId} />
            {t('panel.live')}
          </label>
          <span className={clsx('text-xs', live.state === 'ended' || liveProblem ? 'text-red-700' : live.state === 'reconnecting' ? 'text-amber-800' : 'text-slate-600')}>
            {!sandboxId
              ? t('panel.noSandbox')
              : liveProblem
                ? t('panel.liveProblem', { message: t.has(`errors.${liveProblem.code}` as never) ? t(`errors.${liveProblem.code}` as never) : liveProblem.message })
              : live.state === 'off'
                ? t('panel.liveOff')
                : live.state === 'checking'
                  ? t('panel.liveChecking')
                  : live.state === 'reconnecting'
                    ? live.reason === 'offline'
                      ? t('panel.liveOffline')
                      : live.reason === 'rate_limited'
                        ? t('panel.liveRateLimited', { seconds: live.retryInSeconds })
                        : t('panel.liveReconnecting')
                    : live.state === 'ended'
                      ? t('panel.liveLost', { message: t.has(`errors.${live.code}` as never) ? t(`errors.${live.code}` as never) : live.message })
                      : t('panel.liveOn')}
          </span>
          {sandboxId && live.state === 'ended' && (
            <button type="button" onClick={retryLive} className="text-xs font-medium text-brand-700 underline">
              {t('panel.liveRetry')}
            </button>
          )}
        </div>
      )}
      {examBegan && <RefreshPage />}
      {sandboxId && liveOutOfProcesses && <ProcessLimitActions sandboxId={sandboxId} onReset={onReset} onKilled={retryLive} />}

      <p aria-live="polite" role="status" className="sr-only">
        {announcementText(announcement)}
      </p>

      <ol className="flex flex-col gap-3">
        {exercises.map((exercise, n) => {
          const view = views[exercise.id]!
          const expanded = openId === exercise.id
          const panelId = `exercise-${exercise.id}`
          return (
            <li
              key={exercise.id}
              ref={(el) => {
                if (el) sectionRefs.current.set(exercise.id, el)
                else sectionRefs.current.delete(exercise.id)
              }}
              className={clsx('rounded-lg border', view.completed ? 'border-emerald-300' : 'border-slate-200')}
            >
              <h3>
                <button
                  type="button"
                  aria-expanded={expanded}
                  aria-controls={panelId}
                  onClick={() => (expanded ? setOpenId(null) : open(exercise.id))}
                  className="flex w-full items-center justify-between gap-3 px-4 py-3 text-left"
                >
                  <span>
                    <span className="text-xs font-medium uppercase tracking-wide text-slate-500">{t('panel.exercise', { n: n + 1 })} · </span>
                    <span className="font-semibold">{exercise.title}</span>
                  </span>
                  <span className={clsx('shrink-0 rounded-full border px-2 py-0.5 text-xs font-medium', view.completed ? 'border-emerald-500 bg-emerald-50 text-emerald-900' : 'border-slate-300 text-slate-700')}>
                    {view.completed && <span aria-hidden="true">✓ </span>}
                    {view.completed ? t('panel.completed') : t('panel.notCompleted')}
                  </span>
                </button>
              </h3>
              {expanded && (
                <div id={panelId} className="space-y-4 border-t border-slate-200 px-4 pb-4 pt-3">
                  {exercise.registryOnly.length > 0 && (
                    <p role="note" className="rounded border-l-4 border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                      {t('panel.registryOnly', { images: exercise.registryOnly.map((r) => `${r.image} (${r.reason})`).join(', ') })}
                    </p>
                  )}
                  <section aria-label={t('panel.instructions')} className="text-[0.95rem] leading-relaxed">
                    <Markdown source={exercise.instructions} />
                    {exercise.node && <p className="text-xs text-slate-500">{t('panel.node', { node: exercise.node })}</p>}
                  </section>

                  {exercise.checks.some((c) => c.runsCommand) && <p className="text-xs text-slate-600">{t('panel.runsCommandNote')}</p>}

                  <div className="flex flex-wrap items-center gap-3">
                    <button
                      type="button"
                      onClick={() => void check(exercise.id)}
                      disabled={!sandboxId || view.checking}
                      aria-busy={view.checking}
                      className="rounded bg-brand-600 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-700 disabled:cursor-not-allowed disabled:opacity-60"
                    >
                      {view.checking ? t('panel.checking') : t('panel.check')}
                    </button>
                    {view.shown && (
                      <span className={clsx('text-sm font-medium', view.shown.passed ? 'text-emerald-700' : 'text-slate-700')}>
                        {view.shown.passed ? t('panel.allPassed') : t('panel.score', { passed: view.shown.passedCount, total: view.shown.totalCount })}
                      </span>
                    )}
                    {exam && (
                      <span className="text-sm text-slate-700" data-testid="exam-attempts">
                        {t('panel.examAttempts', { count: view.attempts })}
                      </span>
                    )}
                  </div>
                  {view.error && (
                    <p role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
                      {view.error}
                    </p>
                  )}
                  {outOfProcesses === exercise.id && sandboxId && (
                    <ProcessLimitActions sandboxId={sandboxId} onReset={onReset} onKilled={() => update(exercise.id, { error: null })} />
                  )}

                  <section aria-label={t('panel.checklist')}>
                    {!view.shown && <p className="mb-2 text-sm text-slate-600">{t('panel.checklistEmpty')}</p>}
                    <Checklist checks={exercise.checks} assertions={view.shown?.assertions ?? null} />
                    {view.shown && (
                      <p className="mt-2 text-xs text-slate-500">
                        {t('panel.lastChecked', { time: format.dateTime(new Date(view.shown.at), { timeStyle: 'medium' }), ms: view.shown.durationMs })}
                      </p>
                    )}
                  </section>

                  {!exam && exercise.hintCount > 0 && (
                    <section aria-label={t('panel.hints')} className="space-y-2">
                      {view.hints.length > 0 && (
                        <ol className="space-y-2">
                          {view.hints.map((hint, i) => (
                            <li key={i} className="rounded border-l-4 border-brand-600 bg-brand-50 px-3 py-2 text-sm">
                              <span className="font-semibold">{t('panel.hintN', { n: i + 1 })} · </span>
                              <Markdown source={hint} className="inline [&>p]:inline" />
                            </li>
                          ))}
                        </ol>
                      )}
                      {view.hints.length < exercise.hintCount ? (
                        <button type="button" onClick={() => void revealHint(exercise.id, view.hints.length)} className="text-sm font-medium text-brand-700 underline">
                          {t('panel.showHint', { n: view.hints.length + 1, total: exercise.hintCount })}
                        </button>
                      ) : (
                        <p className="text-xs text-slate-500">{t('panel.noMoreHints')}</p>
                      )}
                    </section>
                  )}

                  {!exam && (
                    <section aria-label={t('panel.solution')}>
                      {view.solution !== null ? (
                        <SolutionBlock code={view.solution} />
                      ) : confirming === exercise.id ? (
                        <div role="alertdialog" aria-labelledby={`${panelId}-confirm`} className="rounded border border-amber-300 bg-amber-50 p-3 text-sm">
                          <p id={`${panelId}-confirm`}>{t('panel.confirmSolution')}</p>
                          <div className="mt-2 flex gap-2">
                            <button ref={confirmRef} type="button" onClick={() => void revealSolution(exercise.id)} className="rounded bg-amber-600 px-3 py-1 font-medium text-white hover:bg-amber-700">
                              {t('panel.confirm')}
                            </button>
                            <button type="button" onClick={() => setConfirming(null)} className="rounded border border-slate-300 px-3 py-1">
                              {t('panel.cancel')}
                            </button>
                          </div>
                        </div>
                      ) : (
                        <button type="button" onClick={() => setConfirming(exercise.id)} className="text-sm text-slate-600 underline">
                          {t('panel.showSolution')}
                        </button>
                      )}
                    </section>
                  )}
                </div>
              )}
            </li>
          )
        })}
      </ol>

      {nodes.length > 0 && (
        <section aria-label={t('diagram.title')} className="space-y-3">
          <h3 className="text-sm font-semibold">{t('diagram.title')}</h3>
          {nodes.map(([node, snapshot]) => (
            <SandboxDiagram key={node} node={node} snapshot={snapshot} />
          ))}
        </section>
      )}
    </section>
  )
}

function SolutionBlock({ code }: { code: string }) {
  const t = useTranslations('exercises.panel')
  const [copied, setCopied] = useState(false)
  return (
    <div className="rounded border border-slate-200">
      <div className="flex items-center justify-between border-b border-slate-200 px-3 py-1 text-xs font-semibold">
        {t('solution')}
        <button
          type="button"
          className="underline"
          onClick={() =>
            void copyText(code).then((ok) => {
              if (!ok) return
              setCopied(true)
              setTimeout(() => setCopied(false), 1500)
            })
          }
        >
          {copied ? t('copied') : t('copy')}
        </button>
      </div>
      <pre className="overflow-x-auto bg-slate-900 p-3 font-mono text-xs text-slate-100">
        <code>{code}</code>
      </pre>
    </div>
  )
}
