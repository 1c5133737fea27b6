import 'server-only'
import type { IncomingMessage } from 'node:http'
import { getUserFromHeaders, type SessionUser } from '../auth/session.server'
import { getEnv } from '../env.server'

// Session and origin checks for the requests that bypass Next (WebSocket upgrades and the
// port proxy), which the custom server hands to us as raw Node requests.

export function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  return headers
}

export async function userOf(request: IncomingMessage): Promise<SessionUser | null> {
  try {
    return await getUserFromHeaders(headersOf(request))
  } catch {
    return null
  }
}

/**
 * A browser's WebSocket carries the page's Origin: it must be this app (the configured
 * QUAI_URL, or the host the request was sent to). Another site cannot open a terminal
 * with the learner's cookie (cross-site WebSocket hijacking).
 */
export function isSameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin
  if (!origin) return false
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.origin === new URL(getEnv().appUrl).origin) return true
  return url.host === request.headers.host
}
