import 'server-only'
import type { IncomingMessage } from 'node:http'
import { getUserFromHeaders, type SessionUser } from './session.server'

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
