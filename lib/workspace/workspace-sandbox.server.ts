import 'server-only'
import type { ContainerRef } from '../docker/exec-stream.server'
import type { FilesTarget } from '../docker/archive.server'
import { listPublishedPorts, type PublishedPort } from '../docker/ports.server'
import type { LessonRecord } from '../content/lessons.server'
import { ApiError } from '../http/api.server'
import { FileRefusal } from './files.server'
import { LessonFolderReplacedError, seedLessonFiles } from '../sandbox/lesson-files.server'
import { endIfNodeDied, innerDocker, nodeAddress, nodeExecTarget, portRoute } from '../sandbox/node-access.server'
import type { PortRoute } from '../sandbox/placement'
import {
  getOwnedSandbox,
  openSandbox,
  requireRunningSandbox,
  resetSandbox,
  stopSandbox,
  touchSandbox,
} from '../sandbox/sandboxes.server'
import type { NodeRole, SandboxView as RuntimeView } from '../sandbox/types'
import type { SandboxView } from './api'

// Everything the workspace (terminal, files, ports, sandbox routes) asks of the sandbox
// runtime (lib/sandbox) goes through this file. Its typed errors pass through: apiErrorOf
// (lib/http/api.server.ts) says what each means to a client.

export type WorkspaceSandbox = RuntimeView

/** The sandbox if it is this user's: 404 when it does not exist, 403 when it is someone else's. */
export async function requireOwnedSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  const mine = await getOwnedSandbox(userId, sandboxId)
  if (mine) return mine
  // Tell "not yours" from "no such sandbox" the way lib/sandbox does.
  return requireRunningSandbox(userId, sandboxId)
}

/** As requireOwnedSandbox, and 409 unless it is running. */
export async function requireRunningOwnedSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  return requireRunningSandbox(userId, sandboxId)
}

export function requireNode(sandbox: WorkspaceSandbox, name: string): { name: string; role: NodeRole } {
  const node = sandbox.nodes.find((n) => n.name === name)
  if (!node) throw new ApiError(404, 'node_not_found', `this sandbox has no node "${name}"`)
  return node
}

/** Where a terminal's exec runs, and the argv that puts a command in the learner's world. */
export async function nodeShellTarget(sandboxId: string, node: string): Promise<{ ref: ContainerRef; command: (cmd: string[]) => string[] }> {
  const target = await nodeExecTarget(sandboxId, node)
  return { ref: { docker: target.docker, containerId: target.containerId }, command: target.command }
}

/**
 * Where the file panel reads and writes: commands run in the learner's world of the node
 * (never the Engine's archive API on the node's outer filesystem: see lib/docker/archive.server.ts).
 */
export async function nodeFilesTarget(sandboxId: string, node: string): Promise<FilesTarget> {
  const target = await nodeShellTarget(sandboxId, node)
  return { ...target.ref, command: target.command }
}

/**
 * After a call into the sandbox failed: true when it failed because a node died (the sandbox
 * is then ended, its slot free, and its view says why).
 */
export async function sandboxNodeDied(sandboxId: string): Promise<boolean> {
  return (await endIfNodeDied(sandboxId)) !== null
}

/** Runs a call into the sandbox; when a dead node made it fail, answers 409 node_died (in both languages) instead. */
export async function orNodeDiedAnswer<T>(sandboxId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw (await endIfNodeDied(sandboxId).catch(() => null)) ?? error
  }
}

/** The learner did something: push the idle deadline back (throttled by lib/sandbox). */
export async function touchWorkspaceSandbox(sandboxId: string): Promise<void> {
  await touchSandbox(sandboxId)
}

/** Ports published by the learner's containers on one node (read from its inner daemon). */
export async function publishedPorts(sandboxId: string, node: string): Promise<PublishedPort[]> {
  const docker = await innerDocker(sandboxId, node)
  return listPublishedPorts({ docker })
}

/** The node's address, as its apps know themselves (Location headers name it). */
export async function nodeHost(sandboxId: string, node: string): Promise<string> {
  return nodeAddress(sandboxId, node)
}

/** How the port proxy connects to a published port (http.request options). */
export async function nodePortRoute(sandboxId: string, node: string, port: number): Promise<PortRoute> {
  return portRoute(sandboxId, node, port)
}

export async function openWorkspaceSandbox(userId: string, lessonKey: string, nodes: { name: string; role: NodeRole }[], signal?: AbortSignal): Promise<WorkspaceSandbox> {
  return openSandbox(userId, { lessonKey, layout: { nodes }, signal })
}

/**
 * The lesson's files into every node, unless the warm pool already put them there (the claim
 * that just gave this sandbox says so). A node too busy twice throws SandboxBusyError (503
 * sandbox_busy, lib/http/api.server.ts); the sandbox stays the learner's, so trying again works.
 */
export async function seedLessonFolders(sandbox: WorkspaceSandbox, lesson: LessonRecord): Promise<void> {
  if (sandbox.lessonFilesSeeded) return
  try {
    await seedLessonFiles(sandbox.id, sandbox.nodes.map((n) => n.name), lesson)
  } catch (error) {
    if (error instanceof LessonFolderReplacedError) throw new FileRefusal(409, 'folder_replaced', error.message)
    throw error
  }
}

export async function resetWorkspaceSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  return resetSandbox(userId, sandboxId)
}

export async function stopWorkspaceSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  return stopSandbox(userId, sandboxId)
}

export function sandboxView(sandbox: WorkspaceSandbox, now = new Date()): SandboxView {
  const live = sandbox.status === 'running' || sandbox.status === 'starting'
  return {
    id: sandbox.id,
    status: sandbox.status,
    nodes: sandbox.nodes.map((n) => ({ name: n.name, role: n.role })),
    idleExpiresAt: live ? sandbox.idleExpiresAt.toISOString() : null,
    expiresAt: live ? sandbox.maxExpiresAt.toISOString() : null,
    secondsLeft: live ? Math.max(0, Math.floor((sandbox.expiresAt.getTime() - now.getTime()) / 1000)) : null,
    idleTimeoutSeconds: live ? sandbox.idleTimeoutSeconds : null,
    now: now.toISOString(),
    endReason: sandbox.endReason,
    error: sandbox.error,
    resumedFrom: sandbox.resumedFrom?.toISOString() ?? null,
    keptWorkLost: sandbox.keptWorkLost ?? false,
  }
}
