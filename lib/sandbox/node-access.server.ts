import 'server-only'
import type { DockerDaemon } from '../docker/client.server'
import type { ExecResult } from '../docker/exec.server'
import { getDb, type Db } from '../db/client.server'
import { deathDescription, deathReasonOf } from './node-health'
import type { ExecInNodeOptions, NodeRef, PortRoute } from './placement'
import { asStatus, destroyAndMarkEnded, loadRow, sandboxPlacement } from './state.server'
import { isNodeDeathReason, SandboxNodeDiedError, SandboxNodeNotFoundError, SandboxNotFoundError, SandboxNotRunningError } from './types'

// Using a node of a running sandbox: its inner daemon, commands as the learner, where its
// ports answer. Ownership is the caller's job (sandboxes.server.ts: requireRunningSandbox).
// A call that fails because a node died ends the sandbox (once, whoever notices first).

async function nodeRef(sandboxId: string, nodeName: string): Promise<NodeRef> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) throw new SandboxNotFoundError()
  if (row.status !== 'running') throw new SandboxNotRunningError(asStatus(row.status))
  const node = row.nodes.find((n) => n.name === nodeName)
  if (!node?.containerId) throw new SandboxNodeNotFoundError(nodeName)
  return { sandboxId, name: node.name, containerId: node.containerId, socketPath: node.socketPath }
}

/** A Docker client on the node's own daemon (for the checks engine). Ownership is the caller's job. */
export async function innerDocker(sandboxId: string, nodeName: string): Promise<DockerDaemon> {
  return sandboxPlacement().innerDocker(await nodeRef(sandboxId, nodeName))
}

/** Run a command as the learner (root of the sandbox) in a node, without TTY; collects the output. */
export async function execInNode(sandboxId: string, nodeName: string, cmd: string[], options: ExecInNodeOptions = {}): Promise<ExecResult> {
  const ref = await nodeRef(sandboxId, nodeName)
  return orNodeDied(sandboxId, () => sandboxPlacement().exec(ref, cmd, options))
}

/** Runs `call`; when it fails because a node of the sandbox died, throws SandboxNodeDiedError instead (the sandbox is ended). */
async function orNodeDied<T>(sandboxId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw (await endIfNodeDied(sandboxId)) ?? error
  }
}

/**
 * For callers that run their own exec stream (the terminal bridge): the engine, container,
 * and the argv that puts a command inside the learner's world. Every exec into a node must
 * go through `command(...)`: a bare `docker exec` lands outside the learner's namespaces.
 */
export async function nodeExecTarget(sandboxId: string, nodeName: string): Promise<{ docker: DockerDaemon; containerId: string; command: (cmd: string[]) => string[] }> {
  const placement = sandboxPlacement()
  const ref = await nodeRef(sandboxId, nodeName)
  return { ...placement.nodeContainer(ref), command: (cmd) => placement.execCommand(cmd) }
}

/** The node's address on its sandbox's network: the host its apps see themselves served at. */
export async function nodeAddress(sandboxId: string, nodeName: string): Promise<string> {
  const address = await sandboxPlacement().nodeAddress(await nodeRef(sandboxId, nodeName))
  if (!address) throw new SandboxNodeNotFoundError(nodeName)
  return address
}

/** How the port proxy connects to a port published on the node (directly, or through its quai-agent). */
export async function portRoute(sandboxId: string, nodeName: string, port: number): Promise<PortRoute> {
  return sandboxPlacement().portRoute(await nodeRef(sandboxId, nodeName), port)
}

// ---------------------------------------------------------------- dead nodes

/** A restore to a step that started this long ago and never finished is over (its instance died). */
const RESTORE_MAX_MS = 180_000
export const restoringCutoff = () => new Date(Date.now() - RESTORE_MAX_MS)
export const isRestoring = (since: Date | null | undefined) => since != null && since > restoringCutoff()

/**
 * After an exec, a shell or a daemon call on this sandbox failed: if one of its nodes is no
 * longer running, the sandbox is ended (once, whoever notices first) and the error to show
 * is returned; null when the nodes run (the failure was something else).
 */
export async function endIfNodeDied(sandboxId: string): Promise<SandboxNodeDiedError | null> {
  const db = await getDb()
  const row = await loadRow(db, sandboxId)
  if (!row) return null
  if (row.status !== 'running') {
    // Already ended by the health tick or another request: say why, the same way.
    const node = /^node (\S+) /.exec(row.error ?? '')?.[1] ?? row.nodes[0]?.name ?? 'node1'
    return isNodeDeathReason(row.endReason) ? new SandboxNodeDiedError(node, row.endReason) : null
  }
  // Its nodes are stopped on purpose while it goes back to a step.
  if (isRestoring(row.restoringSince)) return null
  for (const node of row.nodes) {
    if (!node.containerId) continue
    const death = await sandboxPlacement().nodeDeath(sandboxId, { name: node.name, containerId: node.containerId })
    if (death) return (await endForDeadNode(db, sandboxId, node.name, node.containerId)) ?? new SandboxNodeDiedError(node.name, deathReasonOf(death))
  }
  return null
}

export async function endForDeadNode(db: Db, sandboxId: string, node: string, containerId: string): Promise<SandboxNodeDiedError | null> {
  const death = await sandboxPlacement().nodeDeath(sandboxId, { name: node, containerId })
  const reason = deathReasonOf(death)
  const won = await db.sandbox.updateMany({
    where: { id: sandboxId, status: 'running', OR: [{ restoringSince: null }, { restoringSince: { lt: restoringCutoff() } }] },
    data: { status: 'stopping', endReason: reason, endedAt: new Date(), error: deathDescription(node, death) },
  })
  if (won.count === 0) return null
  await destroyAndMarkEnded(db, sandboxId)
  return new SandboxNodeDiedError(node, reason)
}
