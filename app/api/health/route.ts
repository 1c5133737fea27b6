import { NextResponse } from 'next/server'

// GET: 200 while this process serves requests. The liveness probe of Docker's HEALTHCHECK, Swarm,
// Traefik and HAProxy (deploy/, docs/deploy.md). It reads no database and no session and passes
// no rate limit: proxies probe every few seconds from one address, and a database outage must not
// make every replica "unhealthy" at once.
export const dynamic = 'force-dynamic'

export function GET() {
  return NextResponse.json({ ok: true }, { headers: { 'cache-control': 'no-store' } })
}
