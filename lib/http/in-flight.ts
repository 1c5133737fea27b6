import type { ServerResponse } from 'node:http'

/**
 * The responses a server is still writing, so that a replica told to stop (SIGTERM from a
 * rolling update) finishes them before it exits: a request cut midway is one a learner sees
 * fail, and the balancer cannot safely resend it. Streams (live checks, content events) never
 * finish on their own: they are not waited for, and their clients reconnect to another replica.
 */
export class InFlightResponses {
  private readonly active = new Set<ServerResponse>()
  private draining = false

  track(response: ServerResponse): void {
    this.active.add(response)
    response.once('close', () => this.active.delete(response))
    // Once draining, no connection is kept for a next request: it would reach a closed server.
    if (this.draining) response.shouldKeepAlive = false
  }

  /** The responses that will end by themselves (streams excepted). */
  get pending(): number {
    let count = 0
    for (const response of this.active) if (!isStream(response)) count++
    return count
  }

  /** Resolves once every pending response has ended, or after `graceMs`; says which. */
  async drain(graceMs: number, pollMs = 50): Promise<'drained' | 'timed_out'> {
    this.draining = true
    for (const response of this.active) response.shouldKeepAlive = false
    const deadline = Date.now() + graceMs
    while (this.pending > 0) {
      if (Date.now() >= deadline) return 'timed_out'
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
    return 'drained'
  }
}

function isStream(response: ServerResponse): boolean {
  return String(response.getHeader('content-type') ?? '').startsWith('text/event-stream')
}
