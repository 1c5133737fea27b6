import 'server-only'
import { labRoot, lessonWorkdir } from '../content/paths'
import { execInNode, innerDocker, requireRunningSandbox } from '../sandbox/sandboxes.server'
import { SandboxError } from '../sandbox/types'
import { CheckError } from './errors'
import type { SandboxAccess } from './exercise.server'
import type { CheckTarget } from './target'

// How the checks reach a learner's sandbox: lib/sandbox checks ownership and state, gives the
// node's own daemon, and runs commands as the learner (through the node's quai-enter) in the
// lesson's working folder. Its errors become the checks' own, which the routes map to HTTP.

/** Bytes of output a command check keeps per stream. */
const MAX_OUTPUT = 2 * 1024 * 1024

function checkErrorOf(error: unknown): unknown {
  if (!(error instanceof SandboxError)) return error
  switch (error.code) {
    case 'sandbox.not_yours':
      return new CheckError('sandbox_forbidden', 'this sandbox belongs to someone else', {}, { cause: error })
    case 'sandbox.not_found':
    case 'sandbox.not_running':
      return new CheckError('sandbox_not_running', `the sandbox is not running: ${error.message}`, {}, { cause: error })
    case 'sandbox.node_not_found':
      return new CheckError('sandbox_not_running', `the sandbox has no such node: ${error.message}`, {}, { cause: error })
    default:
      return new CheckError('daemon_unavailable', error.message, {}, { cause: error })
  }
}

export function getSandboxAccess(): SandboxAccess {
  return {
    async requireRunning(userId, sandboxId) {
      try {
        const sandbox = await requireRunningSandbox(userId, sandboxId)
        return { nodes: sandbox.nodes.map((n) => n.name) }
      } catch (error) {
        throw checkErrorOf(error)
      }
    },
    async target(sandboxId, node, lessonSlug): Promise<CheckTarget> {
      const workingDir = lessonSlug ? lessonWorkdir(lessonSlug) : labRoot
      try {
        return {
          node,
          docker: await innerDocker(sandboxId, node),
          async exec(command, opts) {
            try {
              const result = await execInNode(sandboxId, node, ['bash', '-c', command], { workingDir, timeoutMs: opts.timeoutMs, maxOutputBytes: MAX_OUTPUT })
              return { exitCode: result.exitCode ?? (result.timedOut ? 124 : -1), stdout: result.stdout, stderr: result.stderr }
            } catch (error) {
              throw checkErrorOf(error)
            }
          },
        }
      } catch (error) {
        throw checkErrorOf(error)
      }
    },
  }
}
