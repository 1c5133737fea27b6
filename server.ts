// Quai's HTTP server: Next's request handler plus what Next cannot do (WebSocket upgrades,
// learners' web apps on their own origins), and the checks every request passes first.
import http from 'node:http'
import next from 'next'
import { migrateDatabase } from './lib/db/migrate'
import { resolveDatabaseUrl } from './lib/db/url'
import { getEnv } from './lib/env.server'
import { stampClientAddress } from './lib/auth/client-ip.server'
import { crossOriginRefusal } from './lib/http/origin.server'
import { InFlightResponses } from './lib/http/in-flight'
import { dispatchUpgrades } from './lib/http/upgrade-routes'
import { listenForMetrics } from './lib/metrics/listener.server'
import { webMetrics } from './lib/metrics/web.server'
import { serverHooks } from './lib/server/hooks.server'
import { sharedParentDomainWarning } from './lib/workspace/port-origins'

const env = (() => {
  try {
    return getEnv()
  } catch (error) {
    // The message names each bad variable and what it expects; a stack trace adds nothing.
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  }
})()
const dev = env.NODE_ENV !== 'production'

const { kind, applied } = await migrateDatabase(resolveDatabaseUrl())
if (applied.length > 0) console.log(`database (${kind}): applied ${applied.join(', ')}`)

const app = next({ dev, hostname: 'localhost', port: env.PORT })
const handle = app.getRequestHandler()
await app.prepare()
const nextUpgrade = app.getUpgradeHandler()

const { upgradeRoutes, portOrigins, onListening, onClose } = await serverHooks()
const metrics = webMetrics()

const inFlight = new InFlightResponses()
const server = http.createServer((request, response) => {
  stampClientAddress(request)
  inFlight.track(response)
  // A learner's web app, on its own host name: never Quai's pages, cookies or APIs.
  if (portOrigins.owns(request)) {
    portOrigins.handle(request, response).catch((error: unknown) => {
      console.error('port proxy failed:', error)
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' })
      response.end('Bad Gateway')
    })
    return
  }
  // Counted once the status is sent (a stream the browser leaves ends without finishing).
  response.once('close', () => {
    if (response.headersSent) metrics.httpRequests.inc({ status: String(response.statusCode) })
  })
  const refusal = crossOriginRefusal(request)
  if (refusal) {
    response.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    response.end(JSON.stringify({ error: { code: 'cross_origin', message: refusal } }))
    return
  }
  void handle(request, response)
})

const quaiUpgrades = dispatchUpgrades(upgradeRoutes, (pathname) =>
  pathname.startsWith('/_next/') ? (request, socket, head) => void nextUpgrade(request, socket, head) : null,
)
server.on('upgrade', (request: http.IncomingMessage, socket, head: Buffer) => {
  stampClientAddress(request)
  if (portOrigins.owns(request)) portOrigins.upgrade(request, socket, head)
  else quaiUpgrades(request, socket, head)
})

server.listen(env.PORT, env.HOST, () => {
  console.log(`Quai is ready on ${env.appUrl}`)
  if (!env.portsUrl) console.warn('Learners\' web apps (published ports) are off: set QUAI_PORTS_URL to a wildcard DNS name (docs/security.md).')
  const portsWarning = sharedParentDomainWarning(env.appUrl, env.portsUrl)
  if (portsWarning) console.warn(portsWarning)
  void onListening()
})

// Prometheus reads /metrics here, on an address of its own: never through the public port.
const metricsServer = env.QUAI_METRICS_ADDRESS
  ? listenForMetrics(env.QUAI_METRICS_ADDRESS, metrics.registry, (where) => console.log(`Quai metrics on http://${where}/metrics`)).on('error', (error) => {
      console.error(`cannot serve metrics on ${env.QUAI_METRICS_ADDRESS}: ${error.message}`)
      process.exit(1)
    })
  : null

// A replica that is told to stop (a rolling update, a scale-down) takes no new connection, ends
// the idle ones, and answers the requests it holds before it exits: the balancer has already
// sent the next ones elsewhere. Terminals and streams are cut; their clients reconnect.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    server.closeIdleConnections()
    void onClose()
      .then(() => inFlight.drain(env.QUAI_SHUTDOWN_GRACE_SECONDS * 1000))
      .then((outcome) => outcome === 'timed_out' && console.warn(`stopping with ${inFlight.pending} request(s) unanswered after ${env.QUAI_SHUTDOWN_GRACE_SECONDS} s`))
      .finally(() => {
        metricsServer?.close()
        process.exit(0)
      })
  })
}
