import 'server-only'
import { DaemonAnswerTooLargeError } from './daemon-read.server'

// How reads of a daemon fail, as Quai's own errors: transport failures (socket gone) become
// DockerDaemonUnavailableError, a spent time budget DockerReadAbortedError, and the Engine
// API's own answers (4xx/5xx) pass through with their statusCode.

/** The daemon's socket is gone or refuses connections (sandbox stopped, node removed). */
export class DockerDaemonUnavailableError extends Error {
  override readonly name = 'DockerDaemonUnavailableError'
  constructor(cause: unknown) {
    super(`the Docker daemon cannot be reached: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

/** The read was aborted because the check's time budget ran out. */
export class DockerReadAbortedError extends Error {
  override readonly name = 'DockerReadAbortedError'
}

const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ETIMEDOUT'])

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown })?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** Turn transport failures into DockerDaemonUnavailableError; leave API answers (4xx/5xx) alone. */
export function classifyDockerError(error: unknown): unknown {
  if (error instanceof DockerDaemonUnavailableError || error instanceof DockerReadAbortedError || error instanceof DaemonAnswerTooLargeError) return error
  const e = error as { code?: unknown; name?: unknown; message?: unknown }
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return new DockerReadAbortedError('aborted')
  if (typeof e?.code === 'string' && unreachableCodes.has(e.code)) return new DockerDaemonUnavailableError(error)
  if (typeof e?.message === 'string' && /socket hang up|ECONNREFUSED|ENOENT|connect E/.test(e.message)) {
    return new DockerDaemonUnavailableError(error)
  }
  return error
}

/** The container to probe from is missing or not running. */
export class ContainerNotRunningError extends Error {
  override readonly name = 'ContainerNotRunningError'
  constructor(readonly container: string, readonly missing: boolean) {
    super(missing ? `no container named ${container}` : `container ${container} is not running`)
  }
}

/** A 404 answer reads as null; any other failure is thrown through `mapError` (default: classifyDockerError). */
export async function orNullOn404<T>(read: () => Promise<T>, mapError: (error: unknown) => unknown = classifyDockerError): Promise<T | null> {
  try {
    return await read()
  } catch (error) {
    if (statusCodeOf(error) === 404) return null
    throw mapError(error)
  }
}

/** Runs `read`, throwing its failure through classifyDockerError. */
export async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw classifyDockerError(error)
  }
}

/** "This node is not a swarm manager" and "not part of a swarm" come back as 503 from the daemon. */
export function isNotSwarmManagerError(error: unknown): boolean {
  const status = statusCodeOf(error)
  const message = String((error as Error)?.message ?? '')
  return status === 503 && /swarm/i.test(message)
}
