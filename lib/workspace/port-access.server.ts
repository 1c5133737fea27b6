import 'server-only'
import crypto from 'node:crypto'
import type { SessionUser } from '../auth/session.server'
import { getDb } from '../db/client.server'
import { getEnv } from '../env.server'
import { ApiError, apiErrorOf } from '../http/api.server'
import type { PublishedPortView } from './api'
import { sandboxApi } from './api'
import { portEnterPath, portOrigin, safeAppPath } from './port-origins'
import type { PortRoute } from '../sandbox/placement'
import { nodeHost, nodePortRoute, publishedPorts, requireNode, requireRunningOwnedSandbox } from './workspace-sandbox.server'

// Who may open a learner's port on its own origin, and how the browser gets there:
//  1. On Quai's origin (session cookie), /api/sandboxes/<id>/ports/<node>/<port>/open checks
//     that the viewer may see the port and that it is published, and answers with a redirect
//     to the port's origin carrying a grant: random, for this viewer and port, usable once
//     within a minute.
//  2. The port proxy exchanges the grant for an access cookie set on that origin only
//     (signed, names the viewer and the port, expires). Quai's session never travels there.
//  3. Every proxied request checks the cookie, then the database: the sandbox still runs, and
//     the viewer is its owner, or an instructor of one of the owner's classes while the owner
//     shares the port. Revoking a share, ending or resetting the sandbox ends access.

const grantLifetimeMs = 60_000
const accessLifetimeMs = 4 * 60 * 60_000
const accessCacheMs = 2000

function newToken(): string {
  // 130 bits in base32 (lowercase letters and 2-7): a DNS label, unguessable.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  const bytes = crypto.randomBytes(26)
  return [...bytes].map((b) => alphabet[b & 31]).join('')
}

export function portsUrlOrRefuse(): string {
  const portsUrl = getEnv().portsUrl
  if (!portsUrl) {
    throw new ApiError(
      503,
      'ports_not_configured',
      'learners\' web apps need their own host names: set QUAI_PORTS_URL (a wildcard DNS name such as https://ports.example.org) on the Quai server (docs/security.md)',
    )
  }
  return portsUrl
}

async function isInstructorOf(instructorId: string, studentId: string): Promise<boolean> {
  const db = await getDb()
  const teaching = await db.classroomInstructor.findFirst({
    where: { userId: instructorId, classroom: { archivedAt: null, members: { some: { userId: studentId } } } },
    select: { classroomId: true },
  })
  return teaching !== null
}

type PortRow = { token: string; sandboxId: string; node: string; port: number; sharedAt: Date | null; sandbox: { userId: string; status: string } }

async function findPort(where: { token: string } | { sandboxId: string; node: string; port: number }): Promise<PortRow | null> {
  const db = await getDb()
  const select = { token: true, sandboxId: true, node: true, port: true, sharedAt: true, sandbox: { select: { userId: true, status: true } } } as const
  if ('token' in where) return db.sandboxPort.findUnique({ where: { token: where.token }, select })
  return db.sandboxPort.findUnique({ where: { sandboxId_node_port: where }, select })
}

async function requirePublished(sandboxId: string, node: string, port: number): Promise<void> {
  const ports = await publishedPorts(sandboxId, node)
  if (!ports.some((p) => p.port === port && p.protocol === 'tcp')) {
    throw new ApiError(404, 'port_not_published', `port ${port} is not published on ${node}: publish it first, for example "docker run -d -p ${port}:80 nginx"`)
  }
}

/** Whether `user` may see this port now: its owner, or a teacher of the owner while it is shared. */
async function mayView(userId: string, row: PortRow): Promise<boolean> {
  if (row.sandbox.status !== 'running') return false
  if (row.sandbox.userId === userId) return true
  return row.sharedAt !== null && (await isInstructorOf(userId, row.sandbox.userId))
}

/** The row for a published port of the owner's running sandbox, made on first use. */
async function ownedPort(user: Pick<SessionUser, 'id'>, sandboxId: string, node: string, port: number): Promise<PortRow> {
  const sandbox = await requireRunningOwnedSandbox(user.id, sandboxId)
  requireNode(sandbox, node)
  const existing = await findPort({ sandboxId, node, port })
  if (existing) return existing
  const db = await getDb()
  await db.sandboxPort.upsert({ where: { sandboxId_node_port: { sandboxId, node, port } }, create: { token: newToken(), sandboxId, node, port }, update: {} })
  return (await findPort({ sandboxId, node, port }))!
}

/**
 * GET /api/sandboxes/<id>/ports/<node>/<port>/open: where to send the viewer's browser (the
 * port's origin, with a one-time grant), after checking they may see it and that it is published.
 */
export async function openPortFor(user: SessionUser, sandboxId: string, node: string, port: number, path: string | null): Promise<string> {
  const portsUrl = portsUrlOrRefuse()
  let row = await findPort({ sandboxId, node, port })
  if (!row || row.sandbox.userId === user.id) row = await ownedPort(user, sandboxId, node, port)
  else if (!(await mayView(user.id, row))) {
    throw new ApiError(403, 'port_forbidden', row.sandbox.status === 'running' ? 'this port is not shared with you' : 'this sandbox has ended')
  }
  await requirePublished(sandboxId, node, port)
  const db = await getDb()
  const grant = crypto.randomBytes(32).toString('base64url')
  await db.portGrant.create({ data: { id: grant, token: row.token, userId: user.id, expiresAt: new Date(Date.now() + grantLifetimeMs) } })
  const query = new URLSearchParams({ grant, next: safeAppPath(path) })
  return `${portOrigin(portsUrl, port, row.token)}${portEnterPath}?${query}`
}

/** Spends a grant for this port once; the viewer it was made for, or null (unknown, used, expired, other port). */
export async function redeemGrant(token: string, grant: string, now = new Date()): Promise<string | null> {
  const db = await getDb()
  const row = await db.portGrant.findUnique({ where: { id: grant }, select: { userId: true, token: true } })
  if (!row || row.token !== token) return null
  const { count } = await db.portGrant.updateMany({ where: { id: grant, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } })
  return count === 1 ? row.userId : null
}

// ---------------------------------------------------------------- the access cookie

export const portAccessCookie = (secure: boolean) => (secure ? '__Host-quai_port_access' : 'quai_port_access')

function accessKey(): Buffer {
  return crypto.createHmac('sha256', getEnv().authSecret).update('quai port access cookie v1').digest()
}

function sign(payload: string): string {
  return crypto.createHmac('sha256', accessKey()).update(payload).digest('base64url')
}

/** The cookie's value: viewer, port token and expiry, signed with a key derived from the auth secret. */
export function accessCookieValue(userId: string, token: string, now = Date.now()): { value: string; maxAgeSeconds: number } {
  const payload = Buffer.from(JSON.stringify({ u: userId, t: token, e: now + accessLifetimeMs })).toString('base64url')
  return { value: `${payload}.${sign(payload)}`, maxAgeSeconds: accessLifetimeMs / 1000 }
}

/** The viewer a cookie names for this port, or null when it is forged, expired or for another port. */
export function viewerOfAccessCookie(value: string | undefined, token: string, now = Date.now()): string | null {
  if (!value) return null
  const [payload = '', signature = ''] = value.split('.')
  const expected = sign(payload)
  if (signature.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) return null
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; t?: unknown; e?: unknown }
    if (typeof data.u !== 'string' || data.t !== token || typeof data.e !== 'number' || data.e <= now) return null
    return data.u
  } catch {
    return null
  }
}

// ---------------------------------------------------------------- each proxied request

export type PortTarget = { sandboxId: string; ownerId: string; node: string; port: number; host: string; route: PortRoute }

export class PortRefusal extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    /** Where a browser can get a fresh grant (Quai's /open address), when it may have one. */
    readonly reopen?: string,
  ) {
    super(status, code, message)
  }
}

const targetCache = new Map<string, { at: number; target: PortTarget }>()

/** What the viewer reaches through this port origin: refused unless they may see it now and it is published. */
export async function authorizePortRequest(token: string, port: number, viewerId: string | null): Promise<PortTarget> {
  const key = `${token}/${viewerId}`
  const cached = targetCache.get(key)
  if (cached && Date.now() - cached.at < accessCacheMs) return cached.target
  const row = await findPort({ token })
  if (!row || row.port !== port) throw new PortRefusal(404, 'port_not_found', 'no sandbox port answers at this address')
  const reopen = `${getEnv().appUrl}${sandboxApi.openPort(row.sandboxId, row.node, row.port)}`
  if (row.sandbox.status !== 'running') throw new PortRefusal(410, 'port_closed', 'this sandbox has ended: its ports are closed')
  if (!viewerId) throw new PortRefusal(401, 'port_grant_needed', 'open this port from Quai first (Ports tab, or the class dashboard)', reopen)
  if (!(await mayView(viewerId, row))) throw new PortRefusal(403, 'port_not_shared', 'this port is not shared with you', reopen)
  try {
    await requirePublished(row.sandboxId, row.node, row.port)
    const [host, route] = await Promise.all([nodeHost(row.sandboxId, row.node), nodePortRoute(row.sandboxId, row.node, row.port)])
    const target = { sandboxId: row.sandboxId, ownerId: row.sandbox.userId, node: row.node, port: row.port, host, route }
    if (targetCache.size > 10_000) targetCache.clear()
    targetCache.set(key, { at: Date.now(), target })
    return target
  } catch (error) {
    const api = apiErrorOf(error)
    if (api instanceof ApiError) throw new PortRefusal(api.status, api.code, api.message)
    throw error
  }
}

// ---------------------------------------------------------------- the Ports tab and sharing

/** The owner's published ports on every node, with the address that opens each and whether it is shared. */
export async function listSandboxPorts(user: SessionUser, sandboxId: string): Promise<PublishedPortView[]> {
  const sandbox = await requireRunningOwnedSandbox(user.id, sandboxId)
  const db = await getDb()
  const shared = new Set(
    (await db.sandboxPort.findMany({ where: { sandboxId, sharedAt: { not: null } }, select: { node: true, port: true } })).map((p) => `${p.node}:${p.port}`),
  )
  const perNode = await Promise.all(
    sandbox.nodes.map(async (node) =>
      (await publishedPorts(sandbox.id, node.name)).map((p) => ({
        node: node.name,
        ...p,
        url: sandboxApi.openPort(sandbox.id, node.name, p.port),
        shared: p.protocol === 'tcp' && shared.has(`${node.name}:${p.port}`),
      })),
    ),
  )
  return perNode.flat()
}

/** The owner shares one port with the instructors of their classes, or stops sharing it. */
export async function setPortShared(user: SessionUser, sandboxId: string, node: string, port: number, shared: boolean): Promise<{ shared: boolean }> {
  const row = await ownedPort(user, sandboxId, node, port)
  if (shared) await requirePublished(sandboxId, node, port)
  const db = await getDb()
  await db.sandboxPort.update({ where: { token: row.token }, data: { sharedAt: shared ? new Date() : null } })
  for (const key of targetCache.keys()) if (key.startsWith(`${row.token}/`)) targetCache.delete(key)
  return { shared }
}

export type SharedPortView = { studentId: string; studentName: string; lessonKey: string | null; node: string; port: number; sharedAt: string; url: string }

/** Ports the members of a class share now (running sandboxes only), for its instructors. */
export async function sharedPortsOfClass(classId: string): Promise<SharedPortView[]> {
  const db = await getDb()
  const rows = await db.sandboxPort.findMany({
    where: { sharedAt: { not: null }, sandbox: { status: 'running', user: { memberships: { some: { classroomId: classId } } } } },
    select: { node: true, port: true, sharedAt: true, sandboxId: true, sandbox: { select: { lessonKey: true, user: { select: { id: true, name: true } } } } },
    orderBy: { sharedAt: 'desc' },
  })
  return rows.map((r) => ({
    studentId: r.sandbox.user.id,
    studentName: r.sandbox.user.name,
    lessonKey: r.sandbox.lessonKey,
    node: r.node,
    port: r.port,
    sharedAt: r.sharedAt!.toISOString(),
    url: sandboxApi.openPort(r.sandboxId, r.node, r.port),
  }))
}

/** Spent and expired grants go (the sandbox runtime's sweep). */
export async function prunePortGrants(now = new Date()): Promise<number> {
  const db = await getDb()
  const { count } = await db.portGrant.deleteMany({ where: { expiresAt: { lt: now } } })
  return count
}
