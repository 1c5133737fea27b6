'use client'
import { useEffect, useRef, useState } from 'react'
import { exerciseApi, liveEventSchema, type LiveEventView as LiveEvent, type SandboxSnapshotView } from '@/lib/checks/api'
import { liveSilenceMs } from '@/lib/checks/public'
import { apiErrorSchema } from '@/lib/errors'

export type LiveState =
  | { state: 'off' }
  | { state: 'connecting' | 'checking' }
  /** `problem`: the last run could not judge the sandbox (its process limit is reached...), and the stream goes on. */
  | { state: 'watching'; problem?: { code: string; message: string } }
  /** The connection was cut (or refused for now): the next attempt is on its way. */
  | { state: 'reconnecting'; reason: 'lost' | 'offline' | 'rate_limited'; retryInSeconds: number }
  | { state: 'ended'; code: string; message: string }

type ResultEvent = Extract<LiveEvent, { type: 'result' }>

/** Backoff after a cut or a failed attempt: 1 s, 2 s, 4 s... up to 30 s, each ±20 %. */
const firstRetryMs = 1000
const maxRetryMs = 30_000
/** A connection open this long was a good one: the next cut starts the backoff again. */
const stableAfterMs = 15_000

function retryAfterMs(response: Response, body: unknown): number | null {
  const header = response.headers.get('retry-after')
  if (header && /^\d+$/.test(header.trim())) return Number(header) * 1000
  if (header && !Number.isNaN(Date.parse(header))) return Math.max(0, Date.parse(header) - Date.now())
  const seconds = apiErrorSchema.safeParse(body).data?.error.retryAfterSeconds
  return seconds === undefined ? null : seconds * 1000
}

/**
 * One live stream in the browser (Server-Sent Events read with fetch, so that a refusal's status
 * and Retry-After can be read, which EventSource hides). It reconnects by itself after a cut: a
 * network error, a stream that ends without an `ended` status, silence past liveSilenceMs (the
 * server writes a keep-alive every liveHeartbeatMs), a 5xx. Attempts back off from 1 s to 30 s;
 * a 429 waits at least its Retry-After; offline, it waits for the browser to be back online.
 * It stops for good on an `ended` status (the server's health probe found no daemon, or the
 * sandbox is gone) and on a refusal that another try would not change (401, 403, 404, 409...).
 * Every timer and listener is registered in one list and released by dispose().
 */
export class LiveConnection {
  private readonly disposers: (() => void)[] = []
  private abort: AbortController | null = null
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private failures = 0
  private disposed = false
  private waitingOnline = false

  constructor(
    private readonly url: string,
    private readonly handlers: { onEvent: (event: LiveEvent) => void; onState: (state: LiveState) => void },
  ) {}

  start(): void {
    const online = () => {
      // Back online: try now rather than at the end of a backoff that counted offline attempts.
      if (!this.waitingOnline && this.retryTimer === undefined) return
      this.waitingOnline = false
      clearTimeout(this.retryTimer)
      this.retryTimer = undefined
      void this.connect()
    }
    const offline = () => {
      // The open connection may linger unnoticed until the silence timer: drop it now.
      if (this.abort) this.abort.abort()
    }
    window.addEventListener('online', online)
    window.addEventListener('offline', offline)
    this.disposers.push(() => window.removeEventListener('online', online), () => window.removeEventListener('offline', offline))
    void this.connect()
  }

  dispose(): void {
    this.disposed = true
    this.abort?.abort()
    clearTimeout(this.retryTimer)
    for (const dispose of this.disposers.splice(0)) dispose()
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined
    if (this.disposed) return
    if (!navigator.onLine) {
      this.waitingOnline = true
      this.handlers.onState({ state: 'reconnecting', reason: 'offline', retryInSeconds: 0 })
      return
    }
    const controller = new AbortController()
    this.abort = controller
    let response: Response
    try {
      response = await fetch(this.url, { signal: controller.signal, headers: { accept: 'text/event-stream' }, cache: 'no-store' })
    } catch {
      return this.retry()
    }
    if (this.disposed) return void response.body?.cancel().catch(() => {})
    if (!response.ok || !response.body) return this.refused(response)
    const openedAt = Date.now()
    const ended = await this.read(response.body, controller)
    if (this.disposed || ended) return
    if (Date.now() - openedAt >= stableAfterMs) this.failures = 0
    this.retry()
  }

  /** Reads events until the stream ends or falls silent; true when the server said `ended`. */
  private async read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<boolean> {
    const reader = body.getReader()
    const decoder = new TextDecoder()
    let silence: ReturnType<typeof setTimeout> | undefined
    const listen = () => {
      clearTimeout(silence)
      silence = setTimeout(() => controller.abort(), liveSilenceMs)
    }
    let text = ''
    let ended = false
    listen()
    try {
      while (!ended) {
        const { done, value } = await reader.read()
        if (done) break
        listen()
        text += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
        let end: number
        while (!ended && (end = text.indexOf('\n\n')) >= 0) {
          ended = this.dispatch(text.slice(0, end))
          text = text.slice(end + 2)
        }
      }
    } catch {
      // cut, silent or aborted: the caller decides
    } finally {
      clearTimeout(silence)
      if (ended) reader.cancel().catch(() => {})
    }
    return ended
  }

  /** One SSE block (comments are keep-alives); true when it ends the stream. */
  private dispatch(block: string): boolean {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n')
    if (!data) return false
    let parsed: unknown
    try {
      parsed = JSON.parse(data)
    } catch {
      return false
    }
    const checked = liveEventSchema.safeParse(parsed)
    if (!checked.success) return false
    const event = checked.data
    if (event.type !== 'status') {
      this.handlers.onEvent(event)
      return false
    }
    if (event.state === 'ended') {
      this.handlers.onState({ state: 'ended', code: event.code ?? 'daemon_unavailable', message: event.message ?? '' })
      return true
    }
    if (event.state === 'watching' && event.code) this.handlers.onState({ state: 'watching', problem: { code: event.code, message: event.message ?? '' } })
    else this.handlers.onState({ state: event.state })
    return false
  }

  private async refused(response: Response): Promise<void> {
    const body: unknown = await response.json().catch(() => null)
    if (this.disposed) return
    if (response.status === 429) return this.retry(retryAfterMs(response, body) ?? undefined)
    if (response.status >= 500) return this.retry()
    const error = apiErrorSchema.safeParse(body).data?.error
    this.handlers.onState({ state: 'ended', code: error?.code ?? (response.status === 409 ? 'sandbox_not_running' : 'other'), message: error?.message ?? response.statusText })
  }

  /** Next attempt after the backoff, or after at least `atLeastMs` (a 429's Retry-After). */
  private retry(atLeastMs?: number): void {
    if (this.disposed) return
    this.abort = null
    // Offline: no attempt until the browser is back online (connect() waits for it).
    if (!navigator.onLine && atLeastMs === undefined) return void this.connect()
    const backoff = Math.min(maxRetryMs, firstRetryMs * 2 ** this.failures) * (0.8 + Math.random() * 0.4)
    this.failures++
    // Tabs refused together should not come back together: up to a second more after a Retry-After.
    const wait = atLeastMs === undefined ? backoff : Math.max(atLeastMs + Math.random() * 1000, backoff)
    this.handlers.onState({ state: 'reconnecting', reason: atLeastMs === undefined ? 'lost' : 'rate_limited', retryInSeconds: Math.ceil(wait / 1000) })
    this.retryTimer = setTimeout(() => void this.connect(), wait)
  }
}

/** Follows the sandbox's live stream for one exercise (see LiveConnection); `retry` starts again after an end. */
export function useLiveChecks(params: { sandboxId: string | null; courseSlug: string; lessonSlug: string; exerciseId: string | null; enabled: boolean }, onResult: (event: ResultEvent) => void) {
  const { sandboxId, courseSlug, lessonSlug, exerciseId, enabled } = params
  const key = enabled && sandboxId && exerciseId ? `${sandboxId}/${courseSlug}/${lessonSlug}/${exerciseId}` : null
  // State is kept per connection key and only set from the connection's callbacks; a new key
  // reads as "connecting" until its stream says otherwise.
  const [reported, setReported] = useState<{ key: string; live: LiveState } | null>(null)
  const [snapshots, setSnapshots] = useState<Record<string, SandboxSnapshotView>>({})
  const [round, setRound] = useState(0)
  // The latest callback (it renders in the reader's current language), without reconnecting when it changes.
  const onResultRef = useRef(onResult)
  useEffect(() => {
    onResultRef.current = onResult
  })

  useEffect(() => {
    if (!key || !sandboxId || !exerciseId) return
    const query = new URLSearchParams({ courseSlug, lessonSlug, exerciseId })
    const connection = new LiveConnection(`${exerciseApi.live(sandboxId)}?${query}`, {
      onState: (live) => setReported({ key, live }),
      onEvent: (event) => {
        if (event.type === 'snapshot') setSnapshots((s) => ({ ...s, [event.node]: event.snapshot }))
        else if (event.type === 'result') onResultRef.current(event)
      },
    })
    connection.start()
    return () => connection.dispose()
    // The key names everything the connection depends on (sandbox, course, lesson, exercise).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, round])

  const live: LiveState = !key ? { state: 'off' } : reported?.key === key ? reported.live : { state: 'connecting' }
  const retry = () => {
    setReported(null)
    setRound((r) => r + 1)
  }
  return { live, snapshots, retry }
}
