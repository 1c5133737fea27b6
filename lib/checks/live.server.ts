import 'server-only'
import { DaemonAnswerTooLargeError } from '../docker/daemon-read.server'
import { webMetrics } from '../metrics/web.server'
import { followEvents, type DaemonEvent } from '../docker/events.server'
import type { SandboxSnapshot } from '../docker/parse/snapshot'
import { readSnapshot } from '../docker/reads.server'
import { countAgainst, rateLimitMessage } from '../http/usage-limits.server'
import { recordAttempt, type RecordedAttempt } from '../progress/exercises.server'
import { CheckError, DaemonUnavailableError } from './errors'
import { findExercise, type SandboxAccess } from './exercise.server'
import { lessonFolder } from '../content/lessons.server'
import { runsCommands } from '../content/check-kinds'
import { liveHeartbeatMs } from './public'
import type { LiveEventView } from './api'
import { runChecks, type CheckRunResult } from './run.server'
import { liveNudgeGeneration, liveNudgePollMs, publishLiveNudge, type NudgeGeneration } from './live-nudge.server'

// Live mode. One hub per sandbox follows the event stream of each node's daemon (no polling),
// waits for a burst of events to settle, then re-reads the sandbox: a snapshot of containers,
// networks and volumes for the diagram, and the checks of every exercise a subscriber watches.
// Command and script checks are left to the "Vérifier" button (see RunOptions.skipCommands).
// A live run is stored as an attempt (trigger "live") when it is complete (no skipped checks)
// and its outcome differs from the last one stored by this hub, so that typing in the terminal
// does not fill the attempts table with identical rows. Each run counts against the owner's
// `liveChecks` limit (lib/http/usage-limits.server.ts): past it, the hub says so and waits for
// the next window instead of reading the sandbox again.
//
// A node's event stream ending is not a verdict: dockerode cuts a request that stays idle for
// its client's timeout (30 s for an inner daemon, lib/sandbox/local-placement.server.ts), so a sandbox
// where nothing happens ends it too. The hub then asks the daemon (/_ping, the health probe):
// if it answers, the hub follows its events again (and re-reads the sandbox if the gap was long
// enough to miss one); only a daemon that does not answer ends the hub with
// `daemon_unavailable` (or `sandbox_not_running` when the sandbox itself is gone). A run that
// fails to read a daemon asks the probe the same question before ending anything.
//
// The stream to the browser is bounded (liveEventStream): what a slow or stalled reader has not
// taken stays queued up to liveQueueBytes; past that, only the latest event of each kind is
// kept (the latest status, snapshot per node, result per exercise), and a reader stalled for
// three keep-alives in a row is dropped.

/** What the stream sends; the browser parses it with liveEventSchema (lib/checks/api.ts), which encode() holds it to. */
export type LiveEvent =
  | { type: 'snapshot'; node: string; snapshot: SandboxSnapshot }
  | { type: 'result'; exerciseId: string; result: CheckRunResult; partial: boolean; attempt: RecordedAttempt | null }
  | { type: 'status'; state: 'watching' | 'checking' | 'ended'; code?: string; message?: string }

export interface LiveSubscriber {
  userId: string
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  send: (event: LiveEvent) => void
  /** The hub ended (daemon gone, sandbox stopped): the stream should close. */
  close: () => void
}

/** Quiet time after the last event before re-checking, and the longest a burst may delay it. */
export const LIVE_DEBOUNCE_MS = 250
export const LIVE_MAX_DELAY_MS = 1500

/** How long the health probe waits for a node's daemon to answer /_ping, how often it asks, and the pause between. */
export const liveProbeTimeoutMs = 5000
const probeAttempts = 2
const probeRetryMs = 1000
/** An event stream cut for longer than this (probe, re-follow) may have missed events: the sandbox is read again. */
const missedEventsGapMs = 1000
/** An event stream that ends sooner than this after it started is followed again more slowly each time, up to maxRefollowDelayMs. */
const quickEndMs = 5000
const maxRefollowDelayMs = 30_000

type Verdict = { code: string; message: string }

/** Events our own reads cause (exec probes, health checks), or that change nothing a check reads. */
export function isRelevantEvent(event: DaemonEvent): boolean {
  if (event.action.startsWith('exec_')) return false
  return !['top', 'attach', 'resize', 'export', 'commit', 'copy', 'archive-path', 'extract-to-dir'].includes(event.action)
}

class Hub {
  private readonly subscribers = new Set<LiveSubscriber>()
  /** The event stream followed on each node; an entry leaves when its stream ends. */
  private readonly follows = new Map<string, { stop: () => void }>()
  /** Event streams of a node that ended soon after they started, in a row. */
  private readonly quickEnds = new Map<string, number>()
  /** Pending pauses of the probe and the re-follow, woken when the hub stops. */
  private readonly sleepers = new Set<() => void>()
  private readonly lastStored = new Map<string, string>()
  private readonly lastSnapshot = new Map<string, string>()
  private readonly healthSeen = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  private firstEventAt: number | null = null
  private running = false
  private again = false
  private ended = false

  private limitedUntil = 0
  /** The sandbox's nudge generation this hub has re-checked for (live-nudge.server.ts), and the poll that watches it. */
  private nudgeSeen: NudgeGeneration = null
  private nudgePoll: NodeJS.Timeout | undefined
  private nudgePolling = false

  constructor(
    readonly sandboxId: string,
    /** The sandbox's owner: live runs count against their limit. */
    private readonly ownerId: string,
    private readonly nodes: string[],
    private readonly access: SandboxAccess,
    private readonly onEmpty: () => void,
  ) {}

  async start(): Promise<void> {
    this.nudgeSeen = await liveNudgeGeneration(this.sandboxId).catch(() => null)
    for (const node of this.nodes) await this.follow(node)
    if (this.ended) return
    this.nudgePoll = setInterval(() => void this.pollNudges(), liveNudgePollMs)
    this.nudgePoll.unref()
  }

  /** A file saved through any instance (the database says so): re-check, as nudge() does. */
  private async pollNudges(): Promise<void> {
    if (this.nudgePolling || this.ended) return
    this.nudgePolling = true
    try {
      const generation = await liveNudgeGeneration(this.sandboxId)
      if (generation === this.nudgeSeen || this.ended) return
      this.nudgeSeen = generation
      this.schedule(LIVE_DEBOUNCE_MS)
    } catch {
      // The database did not answer this time: the next poll asks again.
    } finally {
      this.nudgePolling = false
    }
  }

  /** Follows a node's daemon events; when the stream ends, whatever the reason, recover() decides. */
  private async follow(node: string): Promise<void> {
    const target = await this.access.target(this.sandboxId, node)
    const startedAt = Date.now()
    const follow = { stop: () => {} }
    follow.stop = await followEvents(target.docker, {
      onEvent: (event) => this.onEvent(event),
      onEnd: () => {
        if (this.follows.get(node) !== follow) return
        this.follows.delete(node)
        void this.recover(node, Date.now() - startedAt)
      },
    })
    if (this.ended) return follow.stop()
    this.follows.set(node, follow)
  }

  /** A node's event stream ended: follow it again while its daemon answers the probe, else end. */
  private async recover(node: string, livedMs: number): Promise<void> {
    if (this.ended) return
    const cutAt = Date.now()
    const quick = livedMs < quickEndMs ? (this.quickEnds.get(node) ?? 0) + 1 : 0
    this.quickEnds.set(node, quick)
    if (quick > 1) await this.sleep(Math.min(1000 * 2 ** (quick - 2), maxRefollowDelayMs))
    for (let attempt = 1; !this.ended; attempt++) {
      const verdict = await this.probe(node)
      if (this.ended) return
      if (verdict) return this.end(verdict.code, verdict.message)
      try {
        await this.follow(node)
        break
      } catch {
        // It answered /_ping but not the events call: ask again, a little later each time.
        await this.sleep(Math.min(1000 * 2 ** (attempt - 1), maxRefollowDelayMs))
      }
    }
    if (!this.ended && Date.now() - cutAt > missedEventsGapMs) this.schedule(LIVE_DEBOUNCE_MS)
  }

  /**
   * The health probe: null when the node's daemon answers /_ping; otherwise why the hub should
   * end (the sandbox is gone, or its daemon does not answer).
   */
  private async probe(node: string): Promise<Verdict | null> {
    for (let attempt = 0; attempt < probeAttempts && !this.ended; attempt++) {
      if (attempt > 0) await this.sleep(probeRetryMs)
      try {
        const target = await this.access.target(this.sandboxId, node)
        if (await target.docker.ping(liveProbeTimeoutMs)) return null
      } catch (error) {
        if (error instanceof CheckError && error.code !== 'daemon_unavailable') return { code: error.code, message: error.message }
      }
    }
    try {
      await this.access.requireRunning(this.ownerId, this.sandboxId)
    } catch (error) {
      if (error instanceof CheckError) return { code: error.code, message: error.message }
    }
    return { code: 'daemon_unavailable', message: new DaemonUnavailableError(node).message }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.sleepers.add(wake)
    })
  }

  add(subscriber: LiveSubscriber): void {
    this.subscribers.add(subscriber)
    // A tab opened while the owner is over the limit is told so, as the others were.
    const left = Math.ceil((this.limitedUntil - Date.now()) / 1000)
    if (left > 0) subscriber.send({ type: 'status', state: 'watching', code: 'rate_limited', message: rateLimitMessage('liveChecks', left) })
    else subscriber.send({ type: 'status', state: 'watching' })
    this.schedule(0)
  }

  remove(subscriber: LiveSubscriber): void {
    this.subscribers.delete(subscriber)
    if (this.subscribers.size === 0) this.stop()
  }

  /** Something changed that the daemon does not report (a file saved from the editor), published as `generation`. */
  nudge(generation?: NudgeGeneration): void {
    if (generation !== undefined) this.nudgeSeen = generation
    this.schedule(LIVE_DEBOUNCE_MS)
  }

  private onEvent(event: DaemonEvent): void {
    if (!isRelevantEvent(event)) return
    if (event.action.startsWith('health_status')) {
      // Some daemons repeat health_status at every probe; only a change matters.
      if (this.healthSeen.get(event.actorId) === event.action) return
      this.healthSeen.set(event.actorId, event.action)
    }
    this.schedule(LIVE_DEBOUNCE_MS)
  }

  private schedule(delay: number): void {
    if (this.ended) return
    if (this.running) {
      this.again = true
      return
    }
    const now = Date.now()
    this.firstEventAt ??= now
    const wait = Math.max(0, Math.min(delay, this.firstEventAt + LIVE_MAX_DELAY_MS - now))
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.run(), wait)
  }

  private async run(): Promise<void> {
    this.firstEventAt = null
    if (this.ended) return
    const now = Date.now()
    if (now < this.limitedUntil) return this.retryAt(this.limitedUntil)
    this.running = true
    // A database that does not answer does not stop live mode (the run itself will tell).
    const verdict = await countAgainst('liveChecks', this.ownerId).catch(() => ({ allowed: true as const, count: 0 }))
    if (!verdict.allowed || this.ended) {
      this.running = false
      this.again = false
      if (this.ended || verdict.allowed) return
      this.limitedUntil = now + verdict.retryAfterSeconds * 1000
      this.broadcast({ type: 'status', state: 'watching', code: 'rate_limited', message: verdict.error.message })
      return this.retryAt(this.limitedUntil)
    }
    this.broadcast({ type: 'status', state: 'checking' })
    try {
      await Promise.all([this.publishSnapshots(), this.publishResults()])
      if (!this.ended) this.broadcast({ type: 'status', state: 'watching' })
    } catch (error) {
      if (error instanceof CheckError && error.code === 'sandbox_not_running') this.end(error.code, error.message)
      else if (error instanceof CheckError && error.code === 'daemon_unavailable') {
        // A read that failed is a question for the probe, not an answer.
        let verdict: Verdict | null = null
        for (const node of this.nodes) verdict ??= await this.probe(node)
        if (verdict) this.end(verdict.code, verdict.message)
        else if (!this.ended) this.broadcast({ type: 'status', state: 'watching', code: error.code, message: error.message })
      } else if (!this.ended) {
        const code = error instanceof CheckError || error instanceof DaemonAnswerTooLargeError ? error.code : 'internal'
        this.broadcast({ type: 'status', state: 'watching', code, message: (error as Error).message })
      }
    } finally {
      this.running = false
      if (this.again && !this.ended) {
        this.again = false
        this.schedule(LIVE_DEBOUNCE_MS)
      }
    }
  }

  /** Over the limit: one run when the window ends (events meanwhile are already covered by it). */
  private retryAt(at: number): void {
    clearTimeout(this.timer)
    this.firstEventAt = null
    this.timer = setTimeout(() => void this.run(), Math.max(0, at - Date.now()))
  }

  private async publishSnapshots(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        const target = await this.access.target(this.sandboxId, node)
        const snapshot = await readSnapshot(target.docker).catch((error: unknown) => {
          throw new DaemonUnavailableError(node, error)
        })
        const json = JSON.stringify(snapshot)
        if (this.lastSnapshot.get(node) === json) return
        this.lastSnapshot.set(node, json)
        this.broadcast({ type: 'snapshot', node, snapshot })
      }),
    )
  }

  private async publishResults(): Promise<void> {
    const watched = new Map<string, LiveSubscriber[]>()
    for (const s of this.subscribers) {
      const key = `${s.courseSlug}/${s.lessonSlug}/${s.exerciseId}`
      watched.set(key, [...(watched.get(key) ?? []), s])
    }
    await Promise.all(
      [...watched.values()].map(async (subs) => {
        const first = subs[0]!
        const { lesson, exercise, defaultNode } = findExercise(first.courseSlug, first.lessonSlug, first.exerciseId)
        const partial = exercise.checks.some(runsCommands)
        const workdir = lessonFolder(lesson)
        const result = await runChecks(exercise.checks, (node) => this.access.target(this.sandboxId, node, workdir), {
          defaultNode,
          timeoutSeconds: exercise.timeoutSeconds,
          skipCommands: true,
        })
        let attempt: RecordedAttempt | null = null
        const outcome = result.assertions.map((a) => `${a.id}=${a.passed}`).join('|')
        const storeKey = `${first.userId}/${first.courseSlug}/${first.lessonSlug}/${first.exerciseId}`
        if (!partial && this.lastStored.get(storeKey) !== outcome) {
          attempt = await recordAttempt({ userId: first.userId, courseSlug: first.courseSlug, lessonSlug: first.lessonSlug, exerciseId: first.exerciseId, trigger: 'live', result, checks: exercise.checks })
          this.lastStored.set(storeKey, outcome)
        }
        for (const s of subs) s.send({ type: 'result', exerciseId: first.exerciseId, result, partial, attempt })
      }),
    )
  }

  private broadcast(event: LiveEvent): void {
    for (const s of this.subscribers) s.send(event)
  }

  private end(code: string, message: string): void {
    if (this.ended) return
    this.broadcast({ type: 'status', state: 'ended', code, message })
    for (const s of [...this.subscribers]) s.close()
    this.subscribers.clear()
    this.stop()
  }

  stop(): void {
    this.ended = true
    clearTimeout(this.timer)
    clearInterval(this.nudgePoll)
    for (const follow of this.follows.values()) follow.stop()
    this.follows.clear()
    for (const wake of [...this.sleepers]) wake()
    this.onEmpty()
  }
}

const globalForLive = globalThis as unknown as { quaiLiveHubs?: Map<string, Promise<Hub>> }
const hubs: Map<string, Promise<Hub>> = (globalForLive.quaiLiveHubs ??= new Map())

/**
 * Watch a sandbox for a learner: checks ownership and that it runs, then shares the
 * sandbox's hub with any other tab of the same learner. Returns the unsubscribe function.
 */
export async function subscribeLive(sandboxId: string, subscriber: LiveSubscriber, access: SandboxAccess): Promise<() => void> {
  findExercise(subscriber.courseSlug, subscriber.lessonSlug, subscriber.exerciseId)
  const { nodes } = await access.requireRunning(subscriber.userId, sandboxId)
  let pending = hubs.get(sandboxId)
  if (!pending) {
    const hub = new Hub(sandboxId, subscriber.userId, nodes, access, () => hubs.delete(sandboxId))
    pending = hub.start().then(() => hub)
    hubs.set(sandboxId, pending)
    pending.catch(() => hubs.delete(sandboxId))
  }
  const hub = await pending
  hub.add(subscriber)
  return () => hub.remove(subscriber)
}

/**
 * Tell a sandbox's live hubs that something changed outside the daemon (a saved file): this
 * instance's at once, every other instance's through the database at its next poll.
 */
export function nudgeLive(sandboxId: string): void {
  const nudgeHere = (generation?: NudgeGeneration) => void hubs.get(sandboxId)?.then((hub: Hub) => hub.nudge(generation)).catch(() => {})
  void publishLiveNudge(sandboxId).then(nudgeHere, () => nudgeHere())
}

/** What a live stream keeps queued for a reader that has not taken it yet, in bytes. */
export const liveQueueBytes = 256 * 1024
/** A keep-alive comment goes out this often (proxies close idle streams, the browser takes silence for a cut); a reader that left it unread this many times in a row is dropped. */
export { liveHeartbeatMs }
const stalledHeartbeats = 3

/** Events that replace each other: a newer one of the same key makes an older unsent one pointless. */
function eventKey(event: LiveEvent): string {
  if (event.type === 'snapshot') return `snapshot:${event.node}`
  if (event.type === 'result') return `result:${event.exerciseId}`
  return 'status'
}

export type LiveStreamOptions = {
  /** Called once when the stream ends, whichever way (the reader left, the hub ended, the subscription failed). */
  onEnd?: () => void
  /** The keep-alive period (liveHeartbeatMs); tests shorten it. */
  heartbeatMs?: number
}

/**
 * Server-Sent Events for one subscriber: the body of the live route's response. The stream's
 * queue holds at most liveQueueBytes (the reader's backpressure: Next stops pulling while the
 * socket's buffer is full); past that, events wait as the latest of their kind only, so a
 * reader that does not keep up costs one snapshot per node, one result per exercise and one
 * status, however much happens meanwhile. A reader that has not taken anything for three
 * keep-alives in a row is dropped (EventSource reconnects by itself).
 */
export function liveEventStream(
  sandboxId: string,
  who: Omit<LiveSubscriber, 'send' | 'close'>,
  access: SandboxAccess,
  signal: AbortSignal,
  options: LiveStreamOptions = {},
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder()
  const heartbeatMs = options.heartbeatMs ?? liveHeartbeatMs
  let unsubscribe: (() => void) | null = null
  let heartbeat: NodeJS.Timeout | undefined
  let closed = false
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null
  const waiting = new Map<string, LiveEvent>()
  let stalled = 0
  const encode = (event: LiveEvent) => encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event satisfies LiveEventView)}\n\n`)
  const room = () => (controller?.desiredSize ?? 0) > 0
  const flush = () => {
    if (!controller) return
    for (const [key, event] of waiting) {
      if (!room()) return
      waiting.delete(key)
      controller.enqueue(encode(event))
    }
  }
  const finish = () => {
    if (closed) return
    closed = true
    webMetrics().liveCheckStreamsOpen.dec()
    clearInterval(heartbeat)
    unsubscribe?.()
    options.onEnd?.()
  }
  return new Promise((resolve, reject) => {
    const stream = new ReadableStream<Uint8Array>(
      {
        start: async (c) => {
          controller = c
          // Open until finish(), which every end goes through once.
          webMetrics().liveCheckStreamsOpen.inc()
          const close = () => {
            if (closed) return
            // The last events go out whatever the queue holds: a few, one per kind.
            for (const event of waiting.values()) c.enqueue(encode(event))
            waiting.clear()
            finish()
            try {
              c.close()
            } catch {
              // already closed by the client
            }
          }
          const send = (event: LiveEvent) => {
            if (closed) return
            const key = eventKey(event)
            // Re-inserted, so that the kinds go out in the order of their latest event.
            waiting.delete(key)
            waiting.set(key, event)
            flush()
          }
          try {
            unsubscribe = await subscribeLive(sandboxId, { ...who, send, close }, access)
          } catch (error) {
            finish()
            reject(error)
            return
          }
          if (closed) return
          heartbeat = setInterval(() => {
            if (closed) return
            if (room()) {
              stalled = 0
              c.enqueue(encoder.encode(': keep-alive\n\n'))
            } else if (++stalled >= stalledHeartbeats) {
              // Not read for three keep-alives (a minute): let the reader reconnect when it reads again.
              finish()
              c.error(new Error('the live stream was not read'))
            }
          }, heartbeatMs)
          signal.addEventListener('abort', close, { once: true })
          resolve(stream)
        },
        pull: () => flush(),
        cancel: () => finish(),
      },
      { highWaterMark: liveQueueBytes, size: (chunk) => chunk.byteLength },
    )
  })
}
