import type { DockerDaemon } from '../docker/client.server'
import type { ExecOutput } from '../docker/exec.server'

export type { ExecOutput }

/**
 * What the checks read: one sandbox node. `docker` talks to the node's own daemon (only
 * read through lib/docker/reads.server.ts); `exec` runs a bash command on the node itself,
 * in the learner's working folder, where their files are and curl is installed.
 * The sandbox module builds these for a learner's sandbox; tests build them for the host.
 */
export interface CheckTarget {
  node: string
  docker: DockerDaemon
  exec(command: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecOutput>
}

/** Node name → target. Called once per node an exercise's checks touch. */
export type TargetResolver = (node: string) => CheckTarget | Promise<CheckTarget>
