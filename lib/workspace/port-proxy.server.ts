import 'server-only'
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { getEnv } from '../env.server'
import { localeCookie } from '../i18n/config'
import { RateLimitedError, rateLimitedAnswer, takeSlot } from '../http/usage-limits.server'
import { ApiError, upgradeRefusal } from '../http/api.server'
import { refuseUpgrade } from '../http/upgrade-routes'
import { accessCookieValue, authorizePortRequest, portAccessCookie, PortRefusal, redeemGrant, viewerOfAccessCookie, type PortTarget } from './port-access.server'
import { parsePortHost, portEnterPath, safeAppPath } from './port-origins'

// The learner's app, on its own origin: http(s)://p<port>-<token>.<ports host>/... is proxied
// to port <port> of the sandbox node the token names. Quai's session cookie is never sent to
// these host names (it is host-only on Quai's), so a page the learner wrote cannot call Quai
// as whoever views it. Access rides on a cookie of this origin alone (port-access.server.ts).
// What the app answers passes through, but for the headers that would outlive the visit or
// reach beyond the app: Service-Worker-Allowed, Clear-Site-Data, Strict-Transport-Security,
// and cookies under Quai's names or for a parent domain.

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])
const droppedResponseHeaders = new Set(['service-worker-allowed', 'clear-site-data', 'strict-transport-security'])

export function isQuaiCookie(name: string): boolean {
  return /^(__Secure-|__Host-)?better-auth[.-]/i.test(name) || name === localeCookie || /^(__Host-)?QUAI[_-]/i.test(name)
}

function cookiePairs(header: string | undefined): [string, string][] {
  return (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf('=')
      return at < 0 ? [part, ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()]
    })
}

/** The Cookie header without Quai's cookies (null when nothing is left). */
export function stripQuaiCookies(header: string | undefined): string | null {
  const kept = cookiePairs(header).filter(([name]) => !isQuaiCookie(name))
  return kept.length > 0 ? kept.map(([name, value]) => `${name}=${value}`).join('; ') : null
}

/** Set-Cookie lines the app may set: never Quai's names, and only for its own host (Domain removed). */
export function rewriteSetCookies(lines: string[] | undefined): string[] {
  const out: string[] = []
  for (const line of lines ?? []) {
    const [pair = '', ...attributes] = line.split(';')
    const name = pair.split('=')[0]?.trim() ?? ''
    if (!name || isQuaiCookie(name)) continue
    const kept = attributes.map((a) => a.trim()).filter((a) => a && a.split('=')[0]?.trim().toLowerCase() !== 'domain')
    out.push([pair.trim(), ...kept].join('; '))
  }
  return out
}

/** A redirect to the app's own inner address ("http://localhost:8080/x") stays on the port origin. */
export function rewriteLocation(location: string | undefined, upstreamHost: string, port: number): string | undefined {
  if (!location || location.startsWith('/')) return location
  try {
    const url = new URL(location)
    const sameApp = (url.hostname === upstreamHost || url.hostname === 'localhost' || url.hostname === '127.0.0.1') && Number(url.port || 80) === port
    if (sameApp) return `${url.pathname}${url.search}${url.hash}`
  } catch {
    // A relative Location ("next"): the browser resolves it on the port origin already.
  }
  return location
}

type Resolved = { target: PortTarget; viewerId: string }

/**
 * Requests from elsewhere that carry the viewer's access cookie: a sibling port origin is the
 * same *site* (SameSite does not stop it), so one learner's page could otherwise drive another
 * learner's app as the instructor who has both open. Navigations (links, new tabs) pass; what
 * a page of another origin sends in the background does not.
 */
function crossOriginRefusal(request: IncomingMessage): string | null {
  const site = request.headers['sec-fetch-site']
  if (!site || site === 'same-origin' || site === 'none') return null
  const mode = request.headers['sec-fetch-mode']
  const method = (request.method ?? 'GET').toUpperCase()
  if (mode === 'navigate' && (method === 'GET' || method === 'HEAD')) return null
  return 'this app only answers its own pages and direct visits'
}

async function resolve(request: IncomingMessage, secure: boolean): Promise<Resolved> {
  const at = parsePortHost(request.headers.host, getEnv().portsUrl)
  if (!at) throw new PortRefusal(404, 'port_not_found', 'not a port address')
  const cookie = cookiePairs(request.headers.cookie).find(([name]) => name === portAccessCookie(secure))?.[1]
  const viewerId = viewerOfAccessCookie(cookie, at.token)
  const target = await authorizePortRequest(at.token, at.port, viewerId)
  return { target, viewerId: viewerId! }
}

function upstreamHeaders(request: IncomingMessage, keepUpgrade: boolean, secure: boolean): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {}
  const connectionListed = new Set(
    String(request.headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  )
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase()
    if (lower === 'cookie' || lower.startsWith('x-quai-')) continue
    if (!keepUpgrade && (hopByHop.has(lower) || connectionListed.has(lower))) continue
    headers[lower] = value
  }
  const cookie = stripQuaiCookies(request.headers.cookie)
  if (cookie) headers.cookie = cookie
  const socket = request.socket as Socket
  headers['x-forwarded-for'] = [request.headers['x-forwarded-for'], socket.remoteAddress].filter(Boolean).join(', ')
  headers['x-forwarded-host'] = request.headers.host ?? ''
  headers['x-forwarded-proto'] = secure ? 'https' : 'http'
  return headers
}

function responseHeaders(upstream: IncomingMessage, target: PortTarget): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || hopByHop.has(name) || droppedResponseHeaders.has(name)) continue
    if (name === 'set-cookie') {
      const cookies = rewriteSetCookies(Array.isArray(value) ? value : [value])
      if (cookies.length > 0) out[name] = cookies
      continue
    }
    if (name === 'location') {
      out[name] = rewriteLocation(String(value), target.host, target.port) ?? String(value)
      continue
    }
    out[name] = value
  }
  return out
}

function sendText(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers })
  response.end(`${message}\n`)
}

function isSecure(): boolean {
  return getEnv().portsUrl?.startsWith('https:') ?? false
}

/** /__quai/enter?grant=&next=: a one-time grant from Quai becomes this origin's access cookie. */
async function enter(request: IncomingMessage, response: ServerResponse, secure: boolean): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://port.invalid')
  const at = parsePortHost(request.headers.host, getEnv().portsUrl)
  const viewerId = at ? await redeemGrant(at.token, url.searchParams.get('grant') ?? '') : null
  if (!at || !viewerId) return sendText(response, 403, 'this link has expired or was already used: open the port again from Quai')
  const { value, maxAgeSeconds } = accessCookieValue(viewerId, at.token)
  const cookie = [`${portAccessCookie(secure)}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ')
  response.writeHead(303, { location: safeAppPath(url.searchParams.get('next')), 'set-cookie': cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
  response.end()
}

function refuse(request: IncomingMessage, response: ServerResponse, error: PortRefusal): void {
  // A browser that lost its access cookie (expired, new tab elsewhere) is sent back to Quai for a new grant.
  const navigation = request.headers['sec-fetch-mode'] === 'navigate' && request.method === 'GET'
  if (error.reopen && navigation) {
    const path = safeAppPath(request.url)
    response.writeHead(302, { location: `${error.reopen}?path=${encodeURIComponent(path)}`, 'cache-control': 'no-store' })
    response.end()
    return
  }
  sendText(response, error.status, error.message)
}

/** Every HTTP request to a port origin (server.ts sends them here before Next sees anything). */
export async function proxyPortRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const secure = isSecure()
  const pathname = new URL(request.url ?? '/', 'http://port.invalid').pathname
  if (pathname === portEnterPath) return enter(request, response, secure)
  const refusal = crossOriginRefusal(request)
  if (refusal) return sendText(response, 403, refusal)
  let resolved: Resolved
  try {
    resolved = await resolve(request, secure)
  } catch (error) {
    if (error instanceof PortRefusal) return refuse(request, response, error)
    console.error('port proxy:', error)
    return sendText(response, 502, 'the sandbox could not be reached')
  }
  const { target, viewerId } = resolved
  // Each request in flight holds a connection to the node: a few dozen per viewer at most.
  let release: () => void
  try {
    release = takeSlot('proxyRequests', viewerId)
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error
    const answer = rateLimitedAnswer(error)
    response.writeHead(answer.status, answer.headers)
    response.end(answer.body)
    return
  }
  response.on('close', release)
  const upstream = http.request({
    ...target.route,
    method: request.method,
    path: request.url ?? '/',
    headers: upstreamHeaders(request, false, secure),
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
    sendText(response, 502, message)
  })
  response.on('close', () => upstream.destroy())
  request.pipe(upstream)
}

/** WebSocket upgrades to a learner's app (a dev server's live reload, Grafana Live...): from its own pages only. */
export function proxyPortUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
  const secure = isSecure()
  // A refusal says what the JSON answer would (lib/http/api.server.ts); anything else is the app out of reach.
  const refuse = (error: unknown) => {
    const refusal = upgradeRefusal(error) ?? upgradeRefusal(new ApiError(502, 'port_unreachable', (error as Error).message))
    refuseUpgrade(socket, refusal.status, refusal.reason)
  }
  void (async () => {
    const origin = request.headers.origin
    const own = origin ? new URL(origin).host.toLowerCase() === (request.headers.host ?? '').toLowerCase() : false
    if (!own) return refuse(new ApiError(403, 'cross_origin', 'this app only accepts WebSockets from its own pages'))
    let target: PortTarget
    let release: () => void
    try {
      const resolved = await resolve(request, secure)
      target = resolved.target
      release = takeSlot('proxyRequests', resolved.viewerId)
    } catch (error) {
      return refuse(error)
    }
    socket.once('close', release)
    const upstream = http.request({ ...target.route, method: request.method, path: request.url ?? '/', headers: upstreamHeaders(request, true, secure) })
    upstream.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
      const lines = [`HTTP/1.1 ${answer.statusCode ?? 101} ${answer.statusMessage ?? 'Switching Protocols'}`]
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || name === 'set-cookie' || droppedResponseHeaders.has(name)) continue
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
    upstream.on('error', () => refuse(new ApiError(502, 'port_unreachable', `nothing answers on port ${target.port}`)))
    upstream.end()
  })().catch((error: unknown) => {
    console.error('port proxy upgrade:', error)
    refuseUpgrade(socket, 502, 'Bad Gateway')
  })
}

/** Whether a request is for a port origin rather than Quai's own pages. */
export function isPortOriginRequest(request: IncomingMessage): boolean {
  return parsePortHost(request.headers.host, getEnv().portsUrl) !== null
}
