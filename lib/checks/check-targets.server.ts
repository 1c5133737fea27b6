import 'server-only'
import { labRoot } from '../content/paths'
import { endIfNodeDied, execInNode, innerDocker } from '../sandbox/node-access.server'
import { requireRunningSandbox } from '../sandbox/sandboxes.server'
import { takeStep } from '../sandbox/kept.server'
import { isNoSpaceError, sandboxDiskFull } from '../sandbox/disk-full.server'
import { isForkFailure, processLimitReached } from '../sandbox/process-limit.server'
import { SandboxError } from '../sandbox/types'
import { DiskFullError, ProcessLimitError, sandboxCheckError } from './errors'
import type { SandboxAccess } from './exercise.server'
import { checkLimits } from './limits'
import type { CheckTarget } from './target'

// How the checks reach a learner's sandbox: lib/sandbox checks ownership and state, gives the
// node's own daemon, and runs commands as the learner (through the node's quai-enter) in the
// lesson's working folder. lib/sandbox's refusals become the checks' own (sandboxCheckError).

export function getSandboxAccess(): SandboxAccess {
  return {
    async requireRunning(userId, sandboxId) {
      try {
        const sandbox = await requireRunningSandbox(userId, sandboxId)
        // A sandbox at its process limit is broken for the learner even where a check only reads the daemon.
        if (await processLimitReached(sandboxId)) throw new ProcessLimitError(sandbox.nodes[0]?.name ?? 'node1')
        return { nodes: sandbox.nodes.map((n) => n.name) }
      } catch (error) {
        throw error instanceof SandboxError ? sandboxCheckError(error) : error
      }
    },
    async keepStep(sandboxId, lessonKey, exerciseId) {
      await takeStep(sandboxId, lessonKey, exerciseId)
    },
    async target(sandboxId, node, workdir): Promise<CheckTarget> {
      const workingDir = workdir ?? labRoot
      try {
        const docker = await innerDocker(sandboxId, node)
        return {
          node,
          docker,
          async exec(command, opts) {
            try {
              const result = await execInNode(sandboxId, node, ['bash', '-c', command], { workingDir, timeoutMs: opts.timeoutMs, maxOutputBytes: checkLimits.execOutputBytes, resident: true }).catch(
                async (error: unknown) => {
                  throw (await processLimitReached(sandboxId)) ? new ProcessLimitError(node) : error
                },
              )
              if (result.exitCode !== 0) {
                const [outOfProcesses, diskFull] = await Promise.all([
                  isForkFailure(result.stderr) || processLimitReached(sandboxId),
                  isNoSpaceError(result.stderr) || sandboxDiskFull(sandboxId),
                ])
                // Out of processes, the command never ran: not the learner's answer, and no attempt.
                if (outOfProcesses) throw new ProcessLimitError(node)
                // A command that fails on a full disk says something else (often a registry or DNS error).
                if (diskFull) throw new DiskFullError(node)
              }
              if (result.timedOut) return { exitCode: 124, stdout: result.stdout, stderr: result.stderr }
              // No exit code: the exec was lost with its node (removed, or its daemon gone), not
              // a command that failed. The run stops here and nothing is recorded.
              if (result.exitCode === null) throw new Error(`the command's exec on ${node} ended without an exit code`)
              // Killed by a signal: by its own timeout, or with its node. Only the first is the command's.
              if (result.exitCode >= 128 && !(await docker.ping(3000))) {
                throw (await endIfNodeDied(sandboxId)) ?? new Error(`the node ${node} went away while its command ran`)
              }
              return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }
            } catch (error) {
              throw error instanceof SandboxError ? sandboxCheckError(error) : error
            }
          },
        }
      } catch (error) {
        throw error instanceof SandboxError ? sandboxCheckError(error) : error
      }
    },
  }
}
