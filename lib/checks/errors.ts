import { ApiError } from '../errors'
import type { SandboxError } from '../sandbox/types'

// Errors of a check run, each with a stable code and its HTTP status. A run that ends in one
// of these records nothing: results are all or nothing.

export type CheckErrorCode = 'check_timeout' | 'daemon_unavailable' | 'unknown_exercise' | 'sandbox_not_running' | 'sandbox_forbidden' | 'sandbox_node_died' | 'sandbox_process_limit' | 'sandbox_disk_full'

const statusOf: Record<CheckErrorCode, number> = {
  unknown_exercise: 404,
  sandbox_forbidden: 403,
  sandbox_not_running: 409,
  sandbox_node_died: 409,
  sandbox_process_limit: 409,
  sandbox_disk_full: 409,
  daemon_unavailable: 503,
  check_timeout: 504,
}

export class CheckError extends ApiError {
  declare readonly code: CheckErrorCode
  declare readonly details: Record<string, unknown>
  constructor(code: CheckErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(statusOf[code], code, message, details, options)
    this.name = 'CheckError'
  }
}

/** The exercise's time budget ran out; `pending` names what was still being read. */
export class CheckTimeoutError extends CheckError {
  constructor(readonly budgetSeconds: number, readonly pending: string[]) {
    super(
      'check_timeout',
      `the check took longer than its ${budgetSeconds} s budget${pending.length ? ` (still waiting for: ${pending.join(', ')})` : ''}`,
      { budgetSeconds, pending },
    )
  }
}

/** The node's Docker daemon (or the node itself) went away during the check. */
export class DaemonUnavailableError extends CheckError {
  constructor(readonly node: string, cause?: unknown) {
    super('daemon_unavailable', `the Docker daemon of node ${node} cannot be reached; the sandbox may have stopped`, { node }, { cause })
  }
}

/** The sandbox is at its process limit: its commands cannot start, so nothing can be judged. */
export class ProcessLimitError extends CheckError {
  constructor(readonly node: string) {
    super('sandbox_process_limit', `the sandbox has reached its process limit: commands cannot start on ${node}`, { node })
  }
}

/** The sandbox's disk is full: its commands fail for that reason, whatever they print. */
export class DiskFullError extends CheckError {
  constructor(readonly node: string) {
    super('sandbox_disk_full', `the sandbox's disk is full: commands on ${node} cannot write`, { node })
  }
}

export class UnknownExerciseError extends CheckError {
  constructor(courseSlug: string, lessonSlug: string, exerciseId: string) {
    super('unknown_exercise', `no exercise "${exerciseId}" in lesson ${courseSlug}/${lessonSlug}`, { courseSlug, lessonSlug, exerciseId })
  }
}

/**
 * A refusal of lib/sandbox as the checks see it: a sandbox that is gone, stopped or lacks the
 * node cannot be checked (409 sandbox_not_running, which ends a live stream), any other
 * failure leaves the daemon unreachable (503). Not the workspace's answers (404 for a missing
 * sandbox), which is why the checks keep their own codes.
 */
export function sandboxCheckError(error: SandboxError): CheckError {
  switch (error.code) {
    case 'sandbox.not_yours':
      return new CheckError('sandbox_forbidden', 'this sandbox belongs to someone else', {}, { cause: error })
    case 'sandbox.not_found':
    case 'sandbox.not_running':
      return new CheckError('sandbox_not_running', `the sandbox is not running: ${error.message}`, {}, { cause: error })
    case 'sandbox.node_not_found':
      return new CheckError('sandbox_not_running', `the sandbox has no such node: ${error.message}`, {}, { cause: error })
    case 'sandbox.node_died':
      return new CheckError('sandbox_node_died', error.message, { ...error.params }, { cause: error })
    default:
      return new CheckError('daemon_unavailable', error.message, {}, { cause: error })
  }
}
