#!/usr/bin/env node
// quai-web's health check (Docker HEALTHCHECK, Swarm, Compose): the server answers HTTP on its
// port: GET /api/health (app/api/health/route.ts) reads no database, so a
// database outage does not make Swarm restart every replica at once.
const port = process.env.PORT ?? '3000'
try {
  const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(4000) })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  process.exit(0)
} catch (error) {
  console.error(`quai-web unhealthy: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
