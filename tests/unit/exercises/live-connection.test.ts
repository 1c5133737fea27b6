import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LiveConnection, type LiveState } from '../../../components/exercises/useLiveChecks'
import { liveSilenceMs } from '../../../lib/checks/public'

// The browser's live connection (components/exercises/useLiveChecks.ts) against a scripted
// server, on a fake clock: when it tries again, how long it waits, when it stops.

type Answer = Response | Error
type Server = { calls: number; answer: () => Answer; streams: ReadableStreamDefaultController<Uint8Array>[] }

const encoder = new TextEncoder()
const event = (data: object) => encoder.encode(`event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`)

let server: Server
let states: LiveState[]
let connection: LiveConnection | null
const online = { value: true }
const windowEvents = new EventTarget()

/** An open stream that says "watching" and stays open until the test closes it. */
function openStream(): Response {
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      server.streams.push(controller)
      controller.enqueue(event({ type: 'status', state: 'watching' }))
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

const refusal = (status: number, code: string, headers: Record<string, string> = {}, extra: object = {}) =>
  new Response(JSON.stringify({ error: { code, message: code, ...extra } }), { status, headers: { 'content-type': 'application/json', ...headers } })

function connect(): void {
  connection = new LiveConnection('/api/sandboxes/s1/live?x=1', { onEvent: () => {}, onState: (s) => states.push(s) })
  connection.start()
}

const lastState = () => states.at(-1)

beforeEach(() => {
  vi.useFakeTimers()
  vi.spyOn(Math, 'random').mockReturnValue(0.5) // no jitter: backoffs are exactly 1 s, 2 s, 4 s...
  server = { calls: 0, answer: () => openStream(), streams: [] }
  states = []
  online.value = true
  vi.stubGlobal('window', windowEvents)
  vi.stubGlobal('navigator', {
    get onLine() {
      return online.value
    },
  })
  vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
    server.calls++
    const answer = server.answer()
    if (answer instanceof Error) throw answer
    init.signal?.addEventListener('abort', () => {
      for (const s of server.streams) {
        try {
          s.error(new DOMException('aborted', 'AbortError'))
        } catch {
          // already closed
        }
      }
    })
    return answer
  })
})

afterEach(() => {
  connection?.dispose()
  connection = null
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  vi.useRealTimers()
})

describe('LiveConnection', () => {
  it('follows a stream that stays open and quiet, kept alive by comments, without reconnecting', async () => {
    connect()
    await vi.advanceTimersByTimeAsync(10)
    expect(lastState()).toEqual({ state: 'watching' })
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(20_000)
      server.streams[0]!.enqueue(encoder.encode(': keep-alive\n\n'))
    }
    expect(server.calls).toBe(1)
    expect(lastState()).toEqual({ state: 'watching' })
  })

  it('reconnects after a stream that ends without an end status, and after silence', async () => {
    connect()
    await vi.advanceTimersByTimeAsync(10)
    server.streams[0]!.close()
    await vi.advanceTimersByTimeAsync(10)
    expect(lastState()).toEqual({ state: 'reconnecting', reason: 'lost', retryInSeconds: 1 })
    await vi.advanceTimersByTimeAsync(900)
    expect(server.calls).toBe(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(server.calls).toBe(2)
    expect(lastState()).toEqual({ state: 'watching' })
    // Nothing at all, not even a keep-alive: the connection is presumed dead.
    await vi.advanceTimersByTimeAsync(liveSilenceMs + 10)
    expect(lastState()).toMatchObject({ state: 'reconnecting', reason: 'lost' })
    await vi.advanceTimersByTimeAsync(2100)
    expect(server.calls).toBe(3)
  })

  it('backs off while the route fails: a few attempts a minute, never past 30 s apart', async () => {
    server.answer = () => refusal(503, 'daemon_unavailable')
    connect()
    await vi.advanceTimersByTimeAsync(60_000)
    // 0, 1, 3, 7, 15, 31 s: six in the first minute (the limit is 60 a minute).
    expect(server.calls).toBe(6)
    const before = server.calls
    await vi.advanceTimersByTimeAsync(5 * 60_000)
    expect(server.calls - before).toBeGreaterThanOrEqual(9)
    expect(server.calls - before).toBeLessThanOrEqual(11)
    expect(lastState()).toEqual({ state: 'reconnecting', reason: 'lost', retryInSeconds: 30 })
    // A network error counts the same.
    server.answer = () => new TypeError('Failed to fetch')
    const then = server.calls
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.calls - then).toBeLessThanOrEqual(2)
  })

  it('waits at least the Retry-After of a 429 before trying again', async () => {
    let answers = 0
    server.answer = () => (answers++ === 0 ? refusal(429, 'rate_limited', { 'retry-after': '20' }, { retryAfterSeconds: 20 }) : openStream())
    connect()
    await vi.advanceTimersByTimeAsync(10)
    expect(lastState()).toEqual({ state: 'reconnecting', reason: 'rate_limited', retryInSeconds: 21 })
    await vi.advanceTimersByTimeAsync(19_900)
    expect(server.calls).toBe(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(server.calls).toBe(2)
    expect(lastState()).toEqual({ state: 'watching' })
  })

  it('takes the wait from the body when a 429 has no Retry-After header', async () => {
    let answers = 0
    server.answer = () => (answers++ === 0 ? refusal(429, 'rate_limited', {}, { retryAfterSeconds: 12 }) : openStream())
    connect()
    await vi.advanceTimersByTimeAsync(12_000)
    expect(server.calls).toBe(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(server.calls).toBe(2)
  })

  it('stops for good on an end status, and on a refusal another try would not change', async () => {
    connect()
    await vi.advanceTimersByTimeAsync(10)
    server.streams[0]!.enqueue(event({ type: 'status', state: 'ended', code: 'daemon_unavailable', message: 'gone' }))
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(server.calls).toBe(1)
    expect(lastState()).toEqual({ state: 'ended', code: 'daemon_unavailable', message: 'gone' })
    connection!.dispose()

    for (const [status, code] of [[409, 'sandbox_not_running'], [403, 'sandbox_forbidden'], [401, 'unauthenticated'], [404, 'unknown_exercise']] as const) {
      server.calls = 0
      server.answer = () => refusal(status, code)
      connect()
      await vi.advanceTimersByTimeAsync(10 * 60_000)
      expect(server.calls).toBe(1)
      expect(lastState()).toEqual({ state: 'ended', code, message: code })
      connection!.dispose()
    }
  })

  it('offline, waits for the network and reconnects as soon as it is back', async () => {
    connect()
    await vi.advanceTimersByTimeAsync(10)
    online.value = false
    windowEvents.dispatchEvent(new Event('offline'))
    await vi.advanceTimersByTimeAsync(10)
    expect(lastState()).toEqual({ state: 'reconnecting', reason: 'offline', retryInSeconds: 0 })
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(server.calls).toBe(1)
    online.value = true
    windowEvents.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(10)
    expect(server.calls).toBe(2)
    expect(lastState()).toEqual({ state: 'watching' })
  })

  it('after dispose, nothing: no attempt, no state', async () => {
    server.answer = () => refusal(503, 'daemon_unavailable')
    connect()
    await vi.advanceTimersByTimeAsync(10)
    connection!.dispose()
    const seen = states.length
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(server.calls).toBe(1)
    expect(states).toHaveLength(seen)
  })
})
