import 'server-only'
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { ApiError } from '../http/api.server'
import { localeCookie } from '../i18n/config'
import { refuseUpgrade, type UpgradeRoute } from '../server/upgrade-routes'
import { portProxyPattern, portProxyPath } from './api'
import { isSameOriginUpgrade } from '../http/origin.server'
import { userOf } from './request-auth.server'
import { nodeHost, publishedPorts, requireNode, requireRunningOwnedSandbox, touchWorkspaceSandbox, type WorkspaceSandbox } from './sandbox-access.server'

// /sandboxes/<id>/ports/<node>/<port>/... -> http://<node address>:<port>/...
// Only the sandbox's owner gets through: the session cookie is checked on every request and
// every WebSocket upgrade (which must also come from Quai's origin). The proxied app runs on
// Quai's origin, so Quai's own cookies are removed from what it receives, and it cannot set
// cookies under Quai's names; its other cookies are confined to its own path prefix.
// Limits (see docs/workspace.md): an app that writes root-absolute URLs in its pages ("/x")
// needs to be told its base path; a separate origin for ports would isolate scripts fully.

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

export function isQuaiCookie(name: string): boolean {
  return /^(__Secure-|__Host-)?better-auth[.-]/i.test(name) || name === localeCookie || /^QUAI[_-]/i.test(name)
}

/** The Cookie header without Quai's cookies (null when nothing is left). */
export function stripQuaiCookies(header: string | undefined): string | null {
  if (!header) return null
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !isQuaiCookie(part.split('=')[0]?.trim() ?? ''))
  return kept.length > 0 ? kept.join('; ') : null
}

/** Set-Cookie lines the app may set: never Quai's names, Domain removed, Path kept under the prefix. */
export function rewriteSetCookies(lines: string[] | undefined, prefix: string): string[] {
  const base = prefix.replace(/\/$/, '')
  const out: string[] = []
  for (const line of lines ?? []) {
    const [pair = '', ...attributes] = line.split(';')
    const name = pair.split('=')[0]?.trim() ?? ''
    if (!name || isQuaiCookie(name)) continue
    let path = '/'
    const kept: string[] = []
    for (const attribute of attributes) {
      const [key = '', ...value] = attribute.trim().split('=')
      const lower = key.toLowerCase()
      if (lower === 'domain') continue
      if (lower === 'path') {
        path = value.join('=') || '/'
        continue
      }
      kept.push(attribute.trim())
    }
    out.push([pair.trim(), `Path=${base}${path.startsWith('/') ? path : `/${path}`}`, ...kept].join('; '))
  }
  return out
}

/** A redirect to "/login" from the app means "/sandboxes/.../ports/.../login" for the browser. */
export function rewriteLocation(location: string | undefined, prefix: string, upstreamHost: string, port: number): string | undefined {
  if (!location) return location
  const base = prefix.replace(/\/$/, '')
  if (location.startsWith('/') && !location.startsWith('//')) return `${base}${location}`
  try {
    const url = new URL(location)
    const sameApp = (url.hostname === upstreamHost || url.hostname === 'localhost' || url.hostname === '127.0.0.1') && Number(url.port || 80) === port
    if (sameApp) return `${base}${url.pathname}${url.search}${url.hash}`
  } catch {
    // A relative Location ("next"): the browser resolves it under the prefix already.
  }
  return location
}

type Target = { sandbox: WorkspaceSandbox; host: string; port: number; prefix: string; path: string }

class ProxyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const publishedCache = new Map<string, { at: number; ports: Set<number> }>()

export function matchPortProxy(pathname: string): boolean {
  return portProxyPattern.test(pathname)
}

async function resolveTarget(request: IncomingMessage): Promise<Target> {
  const url = new URL(request.url ?? '/', 'http://localhost')
  const match = portProxyPattern.exec(url.pathname)
  if (!match) throw new ProxyRefusal(404, 'not a port address')
  const [, sandboxId = '', rawNode = '', rawPort = '', rest] = match
  const node = decodeURIComponent(rawNode)
  if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) {
    throw new ProxyRefusal(400, `"${rawPort}" is not a port: ports go from 1 to 65535`)
  }
  const port = Number(rawPort)
  const user = await userOf(request)
  if (!user) throw new ProxyRefusal(401, 'sign in to Quai first: only the owner of a sandbox can open its ports')
  let sandbox: WorkspaceSandbox
  try {
    sandbox = await requireRunningOwnedSandbox(user.id, sandboxId)
    requireNode(sandbox, node)
    const key = `${sandbox.id}/${node}`
    let cached = publishedCache.get(key)
    if (!cached || Date.now() - cached.at > 2000 || !cached.ports.has(port)) {
      const ports = await publishedPorts(sandbox.id, node)
      cached = { at: Date.now(), ports: new Set(ports.filter((p) => p.protocol === 'tcp').map((p) => p.port)) }
      publishedCache.set(key, cached)
    }
    if (!cached.ports.has(port)) {
      throw new ProxyRefusal(404, `port ${port} is not published on ${node}: publish it first, for example "docker run -d -p ${port}:80 nginx"`)
    }
    const host = await nodeHost(sandbox.id, node)
    void touchWorkspaceSandbox(sandbox.id).catch(() => {})
    const prefix = portProxyPath(sandbox.id, node, port)
    return { sandbox, host, port, prefix, path: `${rest || '/'}${url.search}` }
  } catch (error) {
    if (error instanceof ApiError) throw new ProxyRefusal(error.status, error.message)
    throw error
  }
}

function upstreamHeaders(request: IncomingMessage, target: Target, keepUpgrade: boolean): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {}
  const connectionListed = new Set(
    String(request.headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  )
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase()
    if (lower === 'cookie') continue
    if (!keepUpgrade && (hopByHop.has(lower) || connectionListed.has(lower))) continue
    headers[lower] = value
  }
  const cookie = stripQuaiCookies(request.headers.cookie)
  if (cookie) headers.cookie = cookie
  const socket = request.socket as Socket
  headers['x-forwarded-for'] = [request.headers['x-forwarded-for'], socket.remoteAddress].filter(Boolean).join(', ')
  headers['x-forwarded-host'] = request.headers.host ?? ''
  headers['x-forwarded-proto'] = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'
  headers['x-forwarded-prefix'] = target.prefix.replace(/\/$/, '')
  return headers
}

function responseHeaders(upstream: IncomingMessage, target: Target): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || hopByHop.has(name)) continue
    if (name === 'set-cookie') {
      const cookies = rewriteSetCookies(Array.isArray(value) ? value : [value], target.prefix)
      if (cookies.length > 0) out[name] = cookies
      continue
    }
    if (name === 'location') {
      out[name] = rewriteLocation(String(value), target.prefix, target.host, target.port) ?? String(value)
      continue
    }
    out[name] = value
  }
  return out
}

function sendRefusal(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  response.end(`${message}\n`)
}

/** HTTP requests under /sandboxes/<id>/ports/...: called by server.ts before Next's handler. */
export async function proxyPortRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let target: Target
  try {
    target = await resolveTarget(request)
  } catch (error) {
    if (error instanceof ProxyRefusal) sendRefusal(response, error.status, error.message)
    else {
      console.error('port proxy:', error)
      sendRefusal(response, 502, 'the sandbox could not be reached')
    }
    return
  }
  const upstream = http.request({
    host: target.host,
    port: target.port,
    method: request.method,
    path: target.path,
    headers: upstreamHeaders(request, target, false),
    timeout: 30_000,
  })
  upstream.on('response', (answer) => {
    response.writeHead(answer.statusCode ?? 502, responseHeaders(answer, target))
    answer.pipe(response)
  })
  upstream.on('timeout', () => upstream.destroy(new Error('timeout')))
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    const message =
      error.code === 'ECONNREFUSED'
        ? `nothing answers on port ${target.port} of this node: is the container still running?`
        : `the app on port ${target.port} did not answer (${error.code ?? error.message})`
    sendRefusal(response, 502, message)
  })
  response.on('close', () => upstream.destroy())
  request.pipe(upstream)
}

const upgradeReasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 502: 'Bad Gateway' }

/** WebSocket upgrades to a learner's app (a dev server's live reload, Grafana Live...). */
export function portProxyUpgradeRoute(): UpgradeRoute {
  return {
    matches: matchPortProxy,
    handle: async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!isSameOriginUpgrade(request)) return refuseUpgrade(socket, 403, 'Forbidden: cross-origin upgrade refused')
      let target: Target
      try {
        target = await resolveTarget(request)
      } catch (error) {
        const status = error instanceof ProxyRefusal ? error.status : 502
        return refuseUpgrade(socket, status, `${upgradeReasons[status] ?? 'Error'}: ${(error as Error).message}`)
      }
      const upstream = http.request({
        host: target.host,
        port: target.port,
        method: request.method,
        path: target.path,
        headers: upstreamHeaders(request, target, true),
      })
      upstream.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
        const lines = [`HTTP/1.1 ${answer.statusCode ?? 101} ${answer.statusMessage ?? 'Switching Protocols'}`]
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || name === 'set-cookie') continue
          for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`)
        }
        socket.write(`${lines.join('\r\n')}\r\n\r\n`)
        if (upstreamHead.length > 0) socket.write(upstreamHead)
        if (head.length > 0) upstreamSocket.write(head)
        ;(socket as Socket).setNoDelay?.(true)
        upstreamSocket.setNoDelay(true)
        upstreamSocket.pipe(socket).pipe(upstreamSocket)
        const end = () => {
          upstreamSocket.destroy()
          socket.destroy()
        }
        upstreamSocket.on('error', end)
        socket.on('error', end)
        upstreamSocket.on('close', end)
        socket.on('close', end)
      })
      upstream.on('response', (answer) => {
        refuseUpgrade(socket, answer.statusCode ?? 502, answer.statusMessage ?? 'upgrade refused by the app')
        answer.resume()
      })
      upstream.on('error', () => refuseUpgrade(socket, 502, `Bad Gateway: nothing answers on port ${target.port}`))
      upstream.end()
    },
  }
}
