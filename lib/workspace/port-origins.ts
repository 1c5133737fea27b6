// Learners' web apps are served on host names of their own, never on Quai's origin:
//   p<port>-<token>.<ports host>   e.g. http://p8080-k3v9…q.localhost:3000
// so that a page a learner wrote never runs with Quai's cookies, its service workers, or its
// APIs in reach. The token is random (26 base32 characters, 130 bits) and names one sandbox,
// node and port (SandboxPort rows); the port number is repeated for the reader's sake.

export const portTokenPattern = /^[a-z2-7]{26}$/

/** The proxy's own path on a port origin (a grant exchanged for the access cookie). */
export const portEnterPath = '/__quai/enter'

export function portHostLabel(port: number, token: string): string {
  return `p${port}-${token}`
}

/** The origin that serves one port, under the configured ports URL (QUAI_PORTS_URL). */
export function portOrigin(portsUrl: string, port: number, token: string): string {
  const base = new URL(portsUrl)
  return `${base.protocol}//${portHostLabel(port, token)}.${base.host}`
}

/**
 * The port and token a Host header names under the ports URL, or null when the host is not a
 * port origin (Quai's own host, anything else).
 */
export function parsePortHost(hostHeader: string | undefined, portsUrl: string | null): { port: number; token: string } | null {
  if (!hostHeader || !portsUrl) return null
  const host = hostHeader.toLowerCase()
  const suffix = `.${new URL(portsUrl).host.toLowerCase()}`
  if (!host.endsWith(suffix)) return null
  const match = /^p(\d{1,5})-([a-z2-7]{26})$/.exec(host.slice(0, -suffix.length))
  if (!match) return null
  const port = Number(match[1])
  if (port < 1 || port > 65535 || String(port) !== match[1]) return null
  return { port, token: match[2]! }
}

/** A path on the app to land on after the grant: local, and nothing that leaves the origin. */
export function safeAppPath(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\') || [...raw].some((c) => c < ' ' || c === '\u007f')) return '/'
  try {
    const url = new URL(raw, 'http://port.invalid')
    return url.host === 'port.invalid' ? `${url.pathname}${url.search}${url.hash}` : '/'
  } catch {
    return '/'
  }
}

/**
 * A warning when port origins and Quai share a parent domain: a learner's page on
 * p80-x.ports.school.org can set a cookie for school.org that the browser then sends to
 * quai.school.org (cookie tossing). *.localhost is safe (Chromium refuses Domain=localhost).
 */
export function sharedParentDomainWarning(appUrl: string, portsUrl: string | null): string | null {
  if (!portsUrl) return null
  const appHost = new URL(appUrl).hostname
  const portsHost = new URL(portsUrl).hostname
  if (portsHost === 'localhost' || /^[\d.]+$|^\[/.test(appHost)) return null
  const parent = (host: string) => host.split('.').slice(-2).join('.')
  if (parent(appHost) !== parent(portsHost)) return null
  return `QUAI_PORTS_URL (${portsHost}) and QUAI_URL (${appHost}) share the domain ${parent(appHost)}: a learner's page could set cookies that Quai receives. Prefer a separate domain for ports (docs/security.md).`
}
