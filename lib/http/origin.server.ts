import 'server-only'
import type { IncomingMessage } from 'node:http'
import { getEnv } from '../env.server'

// Where a request comes from. Every request that can change something (any method but GET,
// HEAD and OPTIONS) must come from Quai's own pages: the custom server refuses the others
// before Next sees them, for every route at once (better-auth checks its own routes the same
// way). Browsers send Origin on such requests; a request without it must at least say
// Sec-Fetch-Site: same-origin. A client that sends neither (a script, curl) is refused too:
// it can send Origin itself.

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Quai's own origins: the configured QUAI_URL, and the host the request was sent to. */
export function isQuaiOrigin(origin: string, hostHeader: string | undefined): boolean {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.origin === new URL(getEnv().appUrl).origin) return true
  return hostHeader !== undefined && url.host === hostHeader.toLowerCase()
}

/** Why a state-changing request is refused, or null when it may go on. */
export function crossOriginRefusal(request: IncomingMessage): string | null {
  if (safeMethods.has((request.method ?? 'GET').toUpperCase())) return null
  const origin = request.headers.origin
  if (origin && origin !== 'null') {
    return isQuaiOrigin(origin, request.headers.host) ? null : `requests that change something must come from Quai's own pages (Origin: ${origin})`
  }
  if (origin === 'null') return 'requests that change something must come from Quai\'s own pages (Origin: null)'
  if (request.headers['sec-fetch-site'] === 'same-origin') return null
  return 'requests that change something must come from Quai\'s own pages: this one has no Origin header'
}

/** A WebSocket upgrade to a Quai endpoint must come from a Quai page (cross-site WebSocket hijacking). */
export function isSameOriginUpgrade(request: IncomingMessage): boolean {
  const origin = request.headers.origin
  return Boolean(origin) && isQuaiOrigin(origin!, request.headers.host)
}
