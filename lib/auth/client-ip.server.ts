import 'server-only'
import type { IncomingMessage } from 'node:http'
import proxyAddr from 'proxy-addr'
import { getEnv } from '../env.server'

// The address a request came from. X-Forwarded-For is believed only when the TCP peer is one
// of QUAI_TRUSTED_PROXIES (and then only up to the first untrusted hop), so a client that
// sets the header itself changes nothing. The custom server stamps the result on every request
// under clientAddressHeader, after deleting whatever the client sent under that name, and
// everything behind it (route handlers, better-auth's limits) reads that header.

export const clientAddressHeader = 'x-quai-client-address'

let compiled: { key: string; trust: ReturnType<typeof proxyAddr.compile> } | undefined

function trust() {
  const proxies = getEnv().trustedProxies
  const key = proxies.join(',')
  if (compiled?.key !== key) compiled = { key, trust: proxyAddr.compile(proxies) }
  return compiled.trust
}

/** Throws with the bad entry when QUAI_TRUSTED_PROXIES cannot be read (checked at start). */
export function validateTrustedProxies(): void {
  trust()
}

export function clientAddress(request: IncomingMessage): string {
  const address = proxyAddr(request, trust())
  // ::ffff:10.0.0.1 and 10.0.0.1 are one client.
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

/** Called once per request by the custom server, before anything reads the address. */
export function stampClientAddress(request: IncomingMessage): void {
  request.headers[clientAddressHeader] = clientAddress(request)
}

/** The stamped address in a route handler's headers ('unknown' outside the custom server). */
export function clientAddressOf(headers: Headers): string {
  return headers.get(clientAddressHeader) ?? 'unknown'
}
