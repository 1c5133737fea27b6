import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { InFlightResponses } from '../../../lib/http/in-flight'

// A real HTTP server on loopback, stopped the way server.ts stops on SIGTERM.
let server: http.Server | null = null
afterEach(() => {
  server?.closeAllConnections()
  server?.close()
  server = null
})

async function serve(handler: http.RequestListener, inFlight: InFlightResponses): Promise<number> {
  server = http.createServer((request, response) => {
    inFlight.track(response)
    handler(request, response)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function get(port: number, path = '/'): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: new http.Agent({ keepAlive: true }) }, (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => (body += chunk.toString()))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, connection: response.headers.connection }))
      })
      .on('error', reject)
  })
}

describe('InFlightResponses', () => {
  it('waits for a request being answered, which the client receives whole, and closes its connection', async () => {
    const inFlight = new InFlightResponses()
    const port = await serve((_request, response) => {
      setTimeout(() => response.end('slow answer'), 400)
    }, inFlight)
    const answer = get(port)
    await expect.poll(() => inFlight.pending).toBe(1)
    const started = Date.now()
    server!.close()
    const outcome = await inFlight.drain(5_000)
    expect(outcome).toBe('drained')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(await answer).toEqual({ status: 200, body: 'slow answer', connection: 'close' })
  })

  it('does not wait for an event stream, which never ends by itself', async () => {
    const inFlight = new InFlightResponses()
    const port = await serve((_request, response) => {
      response.setHeader('content-type', 'text/event-stream; charset=utf-8')
      response.write('data: hello\n\n')
    }, inFlight)
    // The stream is open once its first event has arrived.
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/live' }, (response) => response.once('data', () => resolve())).on('error', reject)
    })
    const started = Date.now()
    expect(await inFlight.drain(5_000)).toBe('drained')
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('gives up after the grace period when a request does not end', async () => {
    const inFlight = new InFlightResponses()
    const port = await serve(() => undefined, inFlight)
    http.get({ host: '127.0.0.1', port }).on('error', () => undefined)
    await expect.poll(() => inFlight.pending).toBe(1)
    expect(await inFlight.drain(200)).toBe('timed_out')
    expect(inFlight.pending).toBe(1)
  })
})
