import http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'

// A small load balancer for the web-instances test (tests/e2e/web-instances.spec.ts) and the load
// benchmark (scripts/bench/load.ts, in a process of its own: scripts/bench/balancer-main.ts):
// round-robin over quai-web instances, HTTP requests and WebSocket upgrades alike, with no stickiness. Like nginx's proxy_next_upstream,
// a connection an upstream refuses is tried on the next one, so a dead instance costs a learner
// nothing but the time to notice. `pin` sends everything to one upstream while it answers (the
// test's way to say "through instance A"); `served` records which upstream served what, unless
// `record` is false (a benchmark's thousands of requests), when it stays empty.

export type Upstream = { name: string; port: number }
export type Served = { upstream: string; method: string; path: string; upgrade: boolean }

export type Balancer = {
  port: number
  served: Served[]
  pin: (name: string | null) => void
  close: () => Promise<void>
}

const hopByHop = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']

export async function startBalancer(upstreams: Upstream[], options: { record?: boolean } = {}): Promise<Balancer> {
  const record = options.record ?? true
  let next = 0
  let pinned: string | null = null
  const served: Served[] = []
  const sockets = new Set<net.Socket>()

  /** Upstreams in the order to try them for one request: the pinned one first, else the next in turn. */
  const order = (): Upstream[] => {
    const start = pinned ? upstreams.findIndex((u) => u.name === pinned) : next++ % upstreams.length
    return upstreams.map((_, i) => upstreams[(start + i) % upstreams.length]!)
  }

  const forwardedHeaders = (request: http.IncomingMessage) => {
    const headers = { ...request.headers }
    for (const name of hopByHop) delete headers[name]
    return headers
  }

  const server = http.createServer((request, response) => {
    const candidates = order()
    const body: Buffer[] = []
    request.on('data', (chunk: Buffer) => body.push(chunk))
    request.on('end', () => tryNext())
    const tryNext = (): void => {
      const upstream = candidates.shift()
      if (!upstream) {
        response.writeHead(502).end('no instance answered')
        return
      }
      const outgoing = http.request({ host: '127.0.0.1', port: upstream.port, method: request.method, path: request.url, headers: forwardedHeaders(request) }, (answer) => {
        if (record) served.push({ upstream: upstream.name, method: request.method ?? 'GET', path: request.url ?? '/', upgrade: false })
        const headers = { ...answer.headers }
        for (const name of hopByHop) delete headers[name]
        response.writeHead(answer.statusCode ?? 502, headers)
        answer.pipe(response)
        answer.on('error', () => response.destroy())
      })
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        // Refused: nothing was sent, the next instance may take it. Anything else: the answer is lost.
        if (error.code === 'ECONNREFUSED' && !response.headersSent) return tryNext()
        response.destroy()
      })
      response.on('close', () => outgoing.destroy())
      outgoing.end(Buffer.concat(body))
    }
  })

  server.on('upgrade', (request: http.IncomingMessage, client: Duplex, head: Buffer) => {
    const candidates = order()
    client.on('error', () => undefined)
    const tryNext = (): void => {
      const upstream = candidates.shift()
      if (!upstream) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
        return
      }
      const socket = net.connect(upstream.port, '127.0.0.1')
      socket.setNoDelay(true)
      let connected = false
      socket.once('connect', () => {
        connected = true
        sockets.add(socket)
        if (record) served.push({ upstream: upstream.name, method: request.method ?? 'GET', path: request.url ?? '/', upgrade: true })
        // The client's request as it came (Upgrade and Connection headers included), then both ways.
        const lines = [`${request.method} ${request.url} HTTP/1.1`]
        for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`)
        socket.write(`${lines.join('\r\n')}\r\n\r\n`)
        if (head.length > 0) socket.write(head)
        socket.pipe(client)
        client.pipe(socket)
      })
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!connected && error.code === 'ECONNREFUSED') return tryNext()
        client.destroy()
      })
      // The instance went away (killed): the browser sees its socket cut, as it would behind a real balancer.
      socket.on('close', () => {
        sockets.delete(socket)
        if (connected) client.destroy()
      })
      client.on('close', () => socket.destroy())
    }
    tryNext()
  })

  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    served,
    pin: (name) => {
      pinned = name
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
