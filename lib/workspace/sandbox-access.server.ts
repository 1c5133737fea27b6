import 'server-only'
import { getDb } from '../db/client.server'
import type { ContainerRef } from '../docker/exec-stream.server'
import { containerAddress, innerDaemonAt, listPublishedPorts, localContainer, type PublishedPort } from '../docker/ports.server'
import { ApiError } from '../http/api.server'
import type { SandboxStatus, SandboxView } from './api'

// Everything the workspace (terminal, files, ports, sandbox routes) asks of the sandbox
// runtime goes through this one file. INTERIM: lib/sandbox is being written by another
// engineer; until it lands, sandboxes are read from the Sandbox/SandboxNode tables and the
// local engine (read-only), and open/reset/stop answer 503. Swap the bodies below for
// lib/sandbox's getOwnedSandbox/requireRunningSandbox/openSandbox/resetSandbox/stopSandbox/
// touchSandbox/nodeAddress when it lands; the callers do not change.

export type WorkspaceNode = { name: string; role: string; ref: ContainerRef }

export type WorkspaceSandbox = {
  id: string
  userId: string
  status: SandboxStatus
  lessonKey: string | null
  nodes: WorkspaceNode[]
  createdAt: Date
  lastActivityAt: Date
  expiresAt: Date
  endReason: string | null
  error: string | null
}

const statuses: readonly SandboxStatus[] = ['starting', 'running', 'stopping', 'ended', 'failed']
const asStatus = (s: string): SandboxStatus => (statuses as readonly string[]).includes(s) ? (s as SandboxStatus) : 'failed'

/** Idle timeout, until lib/sandbox exposes its configuration. */
const idleTimeoutSeconds = Number(process.env.QUAI_SANDBOX_IDLE_MINUTES ?? 30) * 60

async function loadSandbox(sandboxId: string) {
  const db = await getDb()
  return db.sandbox.findUnique({ where: { id: sandboxId }, include: { nodes: true } })
}

/** The sandbox if it is this user's: 404 when it does not exist, 403 when it is someone else's. */
export async function requireOwnedSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  const row = await loadSandbox(sandboxId)
  if (!row) throw new ApiError(404, 'sandbox_not_found', 'this sandbox does not exist (it may have ended)')
  if (row.userId !== userId) throw new ApiError(403, 'sandbox_forbidden', 'this sandbox belongs to someone else')
  return {
    id: row.id,
    userId: row.userId,
    status: asStatus(row.status),
    lessonKey: row.lessonKey,
    nodes: row.nodes
      .filter((n) => n.containerId)
      .map((n) => ({ name: n.name, role: 'standalone', ref: localContainer(n.containerId ?? '') }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    createdAt: row.createdAt,
    lastActivityAt: row.lastActivityAt,
    expiresAt: row.expiresAt,
    endReason: row.endReason,
    error: row.error,
  }
}

/** As requireOwnedSandbox, and 409 unless it is running. */
export async function requireRunningOwnedSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  const sandbox = await requireOwnedSandbox(userId, sandboxId)
  if (sandbox.status !== 'running') throw new ApiError(409, 'sandbox_not_running', `this sandbox is ${sandbox.status}, not running`)
  return sandbox
}

export function requireNode(sandbox: WorkspaceSandbox, name: string): WorkspaceNode {
  const node = sandbox.nodes.find((n) => n.name === name)
  if (!node) throw new ApiError(404, 'node_not_found', `this sandbox has no node "${name}"`)
  return node
}

/** The learner did something: push the idle deadline back. */
export async function touchWorkspaceSandbox(sandboxId: string): Promise<void> {
  const db = await getDb()
  await db.sandbox.updateMany({ where: { id: sandboxId, status: 'running' }, data: { lastActivityAt: new Date() } })
}

/** Ports published by the learner's containers on one node (read from its inner daemon). */
export async function publishedPorts(sandbox: WorkspaceSandbox, node: WorkspaceNode): Promise<PublishedPort[]> {
  const db = await getDb()
  const row = await db.sandboxNode.findUnique({ where: { sandboxId_name: { sandboxId: sandbox.id, name: node.name } } })
  if (!row?.socketPath) return []
  return listPublishedPorts(innerDaemonAt(row.socketPath))
}

/** Where the Quai server reaches the node's published ports. */
export async function nodeHost(_sandbox: WorkspaceSandbox, node: WorkspaceNode): Promise<string> {
  const address = await containerAddress(node.ref)
  if (!address) throw new ApiError(502, 'node_unreachable', `node "${node.name}" has no address`)
  return address
}

const notYet = () => new ApiError(503, 'sandbox_unavailable', 'sandboxes are not available on this server yet')

export async function openWorkspaceSandbox(_userId: string, _lessonKey: string, _nodes: { name: string; role: string }[]): Promise<WorkspaceSandbox> {
  throw notYet()
}

export async function resetWorkspaceSandbox(_userId: string, _sandboxId: string): Promise<WorkspaceSandbox> {
  throw notYet()
}

export async function stopWorkspaceSandbox(userId: string, sandboxId: string): Promise<WorkspaceSandbox> {
  await requireOwnedSandbox(userId, sandboxId)
  throw notYet()
}

export function sandboxView(sandbox: WorkspaceSandbox, now = new Date()): SandboxView {
  const live = sandbox.status === 'running' || sandbox.status === 'starting'
  const idleExpires = new Date(sandbox.lastActivityAt.getTime() + idleTimeoutSeconds * 1000)
  const first = Math.min(idleExpires.getTime(), sandbox.expiresAt.getTime())
  return {
    id: sandbox.id,
    status: sandbox.status,
    nodes: sandbox.nodes.map((n) => ({ name: n.name, role: n.role })),
    idleExpiresAt: live ? idleExpires.toISOString() : null,
    expiresAt: live ? sandbox.expiresAt.toISOString() : null,
    secondsLeft: live ? Math.max(0, Math.floor((first - now.getTime()) / 1000)) : null,
    idleTimeoutSeconds: live ? idleTimeoutSeconds : null,
    now: now.toISOString(),
    endReason: sandbox.endReason,
    error: sandbox.error,
  }
}
