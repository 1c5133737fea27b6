import crypto from 'node:crypto'

// Requests from quai-web to a quai-agent are signed with a key both sides read from a file (or
// a Docker secret). A signature binds one request to one sandbox ("-" for the host-wide
// operations), its method and path (the operation), its body when the body is known up front,
// a time, and a nonce; the agent refuses it unsigned, forged, older than its window, replayed,
// or aimed at another sandbox than the one it was signed for.

export const authHeader = 'x-quai-agent-auth'
/** How long a signed request stays valid; the agent remembers nonces for as long. */
export const signatureWindowMs = 30_000
/** The "sandbox" of host-wide operations (prepare, capacity, the node listing). */
export const hostScope = '-'
const version = 'v1'

export type SignedRequest = {
  method: string
  /** Path and query, exactly as sent. */
  path: string
  /** The sandbox the request acts on, or hostScope. */
  scope: string
  /** sha256 (hex) of the body, or '' when the body is streamed and not covered. */
  bodyHash?: string
}

export type AgentAuthRefusal = 'unsigned' | 'malformed' | 'bad_signature' | 'expired' | 'replayed' | 'wrong_sandbox'

/** A key file's content: at least 32 bytes of secret, as text (base64url from `openssl rand`, or any). */
export function parseAgentKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'utf8')
  if (key.length < 32) throw new Error(`${source}: the agent key must be at least 32 characters (got ${key.length})`)
  return key
}

export const hashBody = (body: string | Buffer) => crypto.createHash('sha256').update(body).digest('hex')

function mac(key: Buffer, request: SignedRequest, at: number, nonce: string): string {
  const text = [version, request.method.toUpperCase(), request.path, request.scope, request.bodyHash ?? '', String(at), nonce].join('\n')
  return crypto.createHmac('sha256', key).update(text).digest('base64url')
}

/** The header value that signs `request` now. */
export function signRequest(key: Buffer, request: SignedRequest, now = Date.now()): string {
  const nonce = crypto.randomBytes(16).toString('base64url')
  return `${version} scope=${request.scope},at=${now},nonce=${nonce},body=${request.bodyHash ? '1' : '0'},sig=${mac(key, request, now, nonce)}`
}

/** Nonces seen within the window (one agent process; a restarted agent also restarts the window's memory, see verify). */
export class NonceMemory {
  private readonly seen = new Map<string, number>()
  private readonly startedAt: number

  constructor(now = Date.now()) {
    this.startedAt = now
  }

  /** False when the nonce was already used; remembers it until its signature expires. */
  remember(nonce: string, expiresAt: number, now: number): boolean {
    if (this.seen.size > 10_000) for (const [n, until] of this.seen) if (until < now) this.seen.delete(n)
    if (this.seen.has(nonce)) return false
    this.seen.set(nonce, expiresAt)
    return true
  }

  /** A request signed before this process started may have been seen by its predecessor. */
  signedBeforeStart(at: number): boolean {
    return at < this.startedAt
  }
}

const headerPattern = /^v1 scope=([^,]+),at=(\d{1,15}),nonce=([A-Za-z0-9_-]{16,64}),body=([01]),sig=([A-Za-z0-9_-]{43})$/

/**
 * Checks a request's signature. `request.scope` is the sandbox the path (or body) names,
 * hostScope for a host-wide operation; `request.bodyHash` the body's hash when the agent reads
 * the whole body before acting (then the signature must cover it).
 */
export function verifyRequest(
  key: Buffer,
  header: string | undefined,
  request: SignedRequest,
  nonces: NonceMemory,
  now = Date.now(),
): { ok: true } | { ok: false; refusal: AgentAuthRefusal } {
  if (!header) return { ok: false, refusal: 'unsigned' }
  const match = headerPattern.exec(header)
  if (!match) return { ok: false, refusal: 'malformed' }
  const [, scope, atText, nonce, bodyCovered, sig] = match as unknown as [string, string, string, string, string, string]
  const at = Number(atText)
  // A body the agent holds whole must be covered; a streamed one (no bodyHash here) cannot be.
  if ((bodyCovered === '1') !== Boolean(request.bodyHash)) return { ok: false, refusal: 'malformed' }
  const signed: SignedRequest = { ...request, scope }
  const expected = Buffer.from(mac(key, signed, at, nonce))
  const given = Buffer.from(sig)
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return { ok: false, refusal: 'bad_signature' }
  if (scope !== request.scope) return { ok: false, refusal: 'wrong_sandbox' }
  if (Math.abs(now - at) > signatureWindowMs || nonces.signedBeforeStart(at)) return { ok: false, refusal: 'expired' }
  if (!nonces.remember(nonce, at + signatureWindowMs, now)) return { ok: false, refusal: 'replayed' }
  return { ok: true }
}
