import 'server-only'
import { z } from 'zod'
import type { DockerDaemon } from './client.server'
import { classifyDockerError } from './errors.server'
import { str, strMap } from './parse/fields'

// Following a daemon's event stream (the live checks), with a cap per line: the learner's
// daemon decides how long a line is.

export interface DaemonEvent {
  type: string
  action: string
  actorId: string
  actorName: string
}

const rawEvent = z.object({
  Type: str,
  Action: str,
  Actor: z.object({ ID: str, Attributes: strMap }).nullish(),
})

/** Longest event line kept; a container's events carry all its labels, which the learner sizes. */
export const maxEventLineBytes = 256 * 1024

/**
 * Splits a byte stream into lines (without the newline), holding at most maxLineBytes of one
 * line: a longer one is dropped as it arrives (onOversized, once per line) and reading goes on
 * at the next newline, so a stream with no newline at all costs no more than the cap.
 */
export class LineSplitter {
  private parts: Buffer[] = []
  private size = 0
  private skipping = false

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversized: () => void,
  ) {}

  /** Bytes held for the line not yet ended. */
  get pendingBytes(): number {
    return this.size
  }

  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      const newline = chunk.indexOf(0x0a, at)
      const end = newline === -1 ? chunk.length : newline
      if (!this.skipping) {
        if (this.size + (end - at) > this.maxLineBytes) {
          this.parts = []
          this.size = 0
          this.skipping = true
          this.onOversized()
        } else if (end > at) {
          this.parts.push(chunk.subarray(at, end))
          this.size += end - at
        }
      }
      if (newline === -1) return
      if (!this.skipping) {
        const line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)
        this.parts = []
        this.size = 0
        this.onLine(line)
      }
      this.skipping = false
      at = newline + 1
    }
  }
}

/**
 * Follow the daemon's event stream. `onEvent` gets each event; `onEnd` is called once, with
 * the error when the stream broke (daemon gone). Returns a function that stops following.
 * A line past maxEventLineBytes is dropped, and reported as an event of type "unknown", action
 * "oversized": something happened, so a watcher still re-reads the daemon.
 */
export async function followEvents(
  docker: DockerDaemon,
  handlers: { onEvent: (event: DaemonEvent) => void; onEnd: (error?: unknown) => void },
): Promise<() => void> {
  const controller = new AbortController()
  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.events(controller.signal)
  } catch (error) {
    throw classifyDockerError(error)
  }
  let ended = false
  const end = (error?: unknown) => {
    if (ended) return
    ended = true
    handlers.onEnd(error === undefined ? undefined : classifyDockerError(error))
  }
  const lines = new LineSplitter(
    maxEventLineBytes,
    (bytes) => {
      const line = bytes.toString('utf8').trim()
      if (!line) return
      try {
        const e = rawEvent.parse(JSON.parse(line))
        handlers.onEvent({ type: e.Type, action: e.Action, actorId: e.Actor?.ID ?? '', actorName: e.Actor?.Attributes.name ?? '' })
      } catch {
        // A line the daemon sends that we do not understand is not worth breaking the stream for.
      }
    },
    () => handlers.onEvent({ type: 'unknown', action: 'oversized', actorId: '', actorName: '' }),
  )
  stream.on('data', (chunk: Buffer | string) => lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk))
  stream.on('error', (error) => end(controller.signal.aborted ? undefined : error))
  stream.on('end', () => end(controller.signal.aborted ? undefined : new Error('event stream ended')))
  stream.on('close', () => end(controller.signal.aborted ? undefined : new Error('event stream closed')))
  return () => {
    if (ended) return
    ended = true
    controller.abort()
    ;(stream as unknown as { destroy?: () => void }).destroy?.()
  }
}
