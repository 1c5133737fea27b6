// Errors of a check run, each with a stable code the API maps to an HTTP status. A run that
// ends in one of these records nothing: results are all or nothing.

export type CheckErrorCode = 'check_timeout' | 'daemon_unavailable' | 'unknown_exercise' | 'sandbox_not_running' | 'sandbox_forbidden' | 'sandbox_node_died' | 'sandbox_process_limit' | 'sandbox_disk_full'

export class CheckError extends Error {
  constructor(
    readonly code: CheckErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
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
