import 'server-only'
import type { IncomingMessage } from 'node:http'
import { apiOf, type DockerDaemon } from './client.server'

// Reads from a learner's inner daemon, bounded. dockerode reads every answer whole before
// parsing it, and the learner decides how large it is: 10,000 containers, or labels of
// megabytes each, make `GET /containers/json` as large as they like. Here the answer is counted
// as it arrives and the read is cut past daemonAnswerMaxBytes, with an error that says what to do.
// The request itself still goes through dockerode's modem (its socket, timeout and TLS).

/** Largest answer Quai reads from a learner's daemon in one call (about 2,000 listed containers). */
export const daemonAnswerMaxBytes = 4 * 1024 * 1024

const mib = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`

/** The daemon's answer passed the cap: the learner's sandbox holds more than a check may read. */
export class DaemonAnswerTooLargeError extends Error {
  override readonly name = 'DaemonAnswerTooLargeError'
  readonly code = 'daemon_answer_too_large'
  constructor(
    readonly what: string,
    readonly maxBytes: number,
  ) {
    super(
      `the sandbox's Docker daemon answered more than ${mib(maxBytes)} for ${what}, more than Quai reads: ` +
        'remove the containers, images, volumes or labels you no longer need, then try again',
    )
  }
}

/** Every status reaches us: errors are read with the same cap (docker-modem would read them whole). */
const anyStatus: Record<number, true> = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [i + 100, true]))

export type DaemonRead = {
  /** "/containers/json", "/volumes/<name>"... (names already escaped: see daemonPath). */
  path: string
  query?: Record<string, unknown>
  /** Names the read in the error ("the container list"). */
  what: string
  signal?: AbortSignal
  maxBytes?: number
}

/** A path segment as the Engine API routes it (image names keep their "/" and ":"), with nothing that would end the path. */
export function daemonPath(...segments: string[]): string {
  return segments.map((s) => encodeURI(s).replace(/[?#]/g, (c) => encodeURIComponent(c))).join('/')
}

/** An Engine API error, shaped like dockerode's (statusCode, message), so callers test it the same way. */
function apiError(status: number, body: string): Error {
  let message = body.trim()
  try {
    const parsed = JSON.parse(body) as { message?: unknown }
    if (typeof parsed?.message === 'string') message = parsed.message
  } catch {
    // not JSON: keep the text
  }
  return Object.assign(new Error(`(HTTP code ${status}) ${message.slice(0, 500)}`), { statusCode: status, reason: message.slice(0, 500) })
}

/** GET `path` on the daemon and parse its JSON answer, reading at most maxBytes of it. */
export function readDaemonJson(docker: DockerDaemon, read: DaemonRead): Promise<unknown> {
  const maxBytes = read.maxBytes ?? daemonAnswerMaxBytes
  return new Promise((resolve, reject) => {
    if (read.signal?.aborted) return reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))
    const modem = apiOf(docker).modem as { dial: (options: object, callback: (error: unknown, res?: IncomingMessage) => void) => void }
    const query = read.query && Object.keys(read.query).length > 0 ? read.query : undefined
    modem.dial(
      {
        path: `${read.path}${query ? '?' : ''}`,
        method: 'GET',
        options: query ? { ...query } : {},
        isStream: true,
        statusCodes: anyStatus,
        abortSignal: read.signal,
      },
      (error, res) => {
        if (error || !res) return reject(error ?? new Error('the daemon gave no answer'))
        const chunks: Buffer[] = []
        let size = 0
        let settled = false
        const settle = (fn: () => void) => {
          if (settled) return
          settled = true
          read.signal?.removeEventListener('abort', onAbort)
          fn()
        }
        const onAbort = () => {
          res.destroy()
          settle(() => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })))
        }
        read.signal?.addEventListener('abort', onAbort, { once: true })
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > maxBytes) {
            res.destroy()
            settle(() => reject(new DaemonAnswerTooLargeError(read.what, maxBytes)))
            return
          }
          chunks.push(chunk)
        })
        res.on('error', (e) => settle(() => reject(e)))
        res.on('close', () => settle(() => reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))))
        res.on('end', () =>
          settle(() => {
            const body = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            if (status < 200 || status >= 300) return reject(apiError(status, body))
            try {
              resolve(body === '' ? null : JSON.parse(body))
            } catch {
              reject(new Error(`the daemon's answer for ${read.what} is not JSON`))
            }
          }),
        )
      },
    )
  })
}
