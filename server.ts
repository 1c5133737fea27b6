// Quai's HTTP server: Next's request handler plus the WebSocket upgrades Next cannot take.
import http from 'node:http'
import next from 'next'
import { migrateDatabase } from './lib/db/migrate'
import { resolveDatabaseUrl } from './lib/db/url'
import { dispatchUpgrades } from './lib/server/upgrade-routes'
import { serverHooks } from './lib/server/hooks.server'

const dev = process.env.NODE_ENV !== 'production'
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '0.0.0.0'

const { kind, applied } = await migrateDatabase(resolveDatabaseUrl())
if (applied.length > 0) console.log(`database (${kind}): applied ${applied.join(', ')}`)

const app = next({ dev, hostname: 'localhost', port })
const handle = app.getRequestHandler()
await app.prepare()
const nextUpgrade = app.getUpgradeHandler()

const { upgradeRoutes, httpRoutes, onListening, onClose } = await serverHooks()

const server = http.createServer((request, response) => {
  // Routes Next cannot serve (the sandbox port proxy streams both ways) go first.
  const url = request.url ?? '/'
  if (url.startsWith('/sandboxes/')) {
    const pathname = new URL(url, 'http://localhost').pathname
    const route = httpRoutes.find((r) => r.matches(pathname))
    if (route) {
      route.handle(request, response).catch((error: unknown) => {
        console.error('http route failed:', error)
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' })
        response.end('Internal Server Error')
      })
      return
    }
  }
  void handle(request, response)
})

server.on(
  'upgrade',
  dispatchUpgrades(upgradeRoutes, (pathname) => (pathname.startsWith('/_next/') ? (request, socket, head) => void nextUpgrade(request, socket, head) : null)),
)

server.listen(port, host, () => {
  const url = process.env.QUAI_URL ?? `http://localhost:${port}`
  console.log(`Quai is ready on ${url}`)
  void onListening()
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void onClose().finally(() => {
      server.close()
      process.exit(0)
    })
  })
}
