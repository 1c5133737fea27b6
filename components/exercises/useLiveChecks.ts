'use client'
import { useEffect, useState } from 'react'
import type { LiveEvent } from '@/lib/checks/live.server'
import type { SandboxSnapshot } from '@/lib/docker/inspect.server'

export type LiveState =
  | { state: 'off' }
  | { state: 'connecting' | 'watching' | 'checking' }
  | { state: 'ended'; code: string; message: string }

type ResultEvent = Extract<LiveEvent, { type: 'result' }>

/**
 * Follows the sandbox's live stream (Server-Sent Events) for one exercise. EventSource
 * reconnects by itself after a network cut; a refused reconnection (sandbox stopped) ends it.
 */
export function useLiveChecks(params: { sandboxId: string | null; courseSlug: string; lessonSlug: string; exerciseId: string | null; enabled: boolean }, onResult: (event: ResultEvent) => void) {
  const { sandboxId, courseSlug, lessonSlug, exerciseId, enabled } = params
  const key = enabled && sandboxId && exerciseId ? `${sandboxId}/${courseSlug}/${lessonSlug}/${exerciseId}` : null
  // State is kept per connection key and only set from the stream's callbacks; a new key reads
  // as "connecting" until its stream says otherwise.
  const [reported, setReported] = useState<{ key: string; live: LiveState } | null>(null)
  const [snapshots, setSnapshots] = useState<Record<string, SandboxSnapshot>>({})

  useEffect(() => {
    if (!key || !sandboxId || !exerciseId) return
    const setLive = (live: LiveState) => setReported({ key, live })
    const query = new URLSearchParams({ courseSlug, lessonSlug, exerciseId })
    const source = new EventSource(`/api/sandboxes/${encodeURIComponent(sandboxId)}/live?${query}`)
    const parse = (e: MessageEvent<string>): LiveEvent | null => {
      try {
        return JSON.parse(e.data) as LiveEvent
      } catch {
        return null
      }
    }
    const onSnapshot = (e: MessageEvent<string>) => {
      const event = parse(e)
      if (event?.type === 'snapshot') setSnapshots((s) => ({ ...s, [event.node]: event.snapshot }))
    }
    const onResultEvent = (e: MessageEvent<string>) => {
      const event = parse(e)
      if (event?.type === 'result') onResult(event)
    }
    const onStatus = (e: MessageEvent<string>) => {
      const event = parse(e)
      if (event?.type !== 'status') return
      if (event.state === 'ended') {
        source.close()
        setLive({ state: 'ended', code: event.code ?? 'daemon_unavailable', message: event.message ?? '' })
      } else setLive({ state: event.state })
    }
    source.addEventListener('snapshot', onSnapshot)
    source.addEventListener('result', onResultEvent)
    source.addEventListener('status', onStatus)
    source.onerror = () => {
      // CLOSED means the server refused the stream (not signed in, sandbox stopped): stop there.
      if (source.readyState === EventSource.CLOSED) setReported((r) => (r?.key === key && r.live.state === 'ended' ? r : { key, live: { state: 'ended', code: 'sandbox_not_running', message: '' } }))
      else setLive({ state: 'connecting' })
    }
    return () => source.close()
    // onResult is the panel's stable callback; re-subscribing on its identity would reconnect needlessly.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])

  const live: LiveState = !key ? { state: 'off' } : reported?.key === key ? reported.live : { state: 'connecting' }
  return { live, snapshots }
}
