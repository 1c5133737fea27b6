import 'server-only'
import http from 'node:http'
import type { Registry } from 'prom-client'
import { parseListen } from '../env.server'

// The metrics listener of quai-web (QUAI_METRICS_ADDRESS) and quai-agent
// (QUAI_AGENT_METRICS_ADDRESS): its own address, never the public port Traefik publishes.
// GET /metrics answers the Prometheus text format; anything else is a 404.

export function listenForMetrics(address: string, registry: Registry, onListening: (where: string) => void): http.Server {
  const listen = parseListen(address)
  // getEnv validated it: reaching this is a programming error.
  if (!listen) throw new Error(`not an ip:port: ${address}`)
  const server = http.createServer((request, response) => {
    const pathname = (request.url ?? '').replace(/\?.*$/, '')
    if (pathname !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n')
      return
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        console.warn(`metrics: ${error instanceof Error ? error.message : String(error)}`)
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics failed\n')
      },
    )
  })
  server.listen(listen.port, listen.host, () => onListening(listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`))
  return server
}
