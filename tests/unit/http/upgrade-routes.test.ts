// The server's upgrade dispatch on a real HTTP server and real TCP connections: a client that
// resets its connection while a route is still checking its session must not raise an
// uncaught error (Node removes its own error listener before emitting 'upgrade').
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { dispatchUpgrades, refuseUpgrade, type UpgradeRoute } from '@/lib/http/upgrade-routes'

let server: http.Server | null = null
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

async function listen(routes: UpgradeRoute[]): Promise<number> {
  server = http.createServer()
  server.on('upgrade', dispatchUpgrades(routes, () => null))
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function upgradeThenReset(port: number, path: string, resetAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)
      setTimeout(() => {
        socket.resetAndDestroy()
        resolve()
      }, resetAfterMs)
    })
    socket.on('error', () => resolve())
  })
}

function upgradeStatus(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`))
    let answer = ''
    socket.on('data', (d: Buffer) => (answer += d.toString()))
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''))
    socket.on('error', reject)
  })
}

describe('upgrade dispatch', () => {
  it('absorbs a reset that lands while a route awaits its checks, and keeps serving', async () => {
    const uncaught: unknown[] = []
    const onUncaught = (error: unknown) => uncaught.push(error)
    process.on('uncaughtException', onUncaught)
    let handled = 0
    const slowRoute: UpgradeRoute = {
      matches: (p) => p === '/slow',
      handle: async (_request, socket) => {
        await new Promise((r) => setTimeout(r, 150))
        handled++
        refuseUpgrade(socket, 401, 'Unauthorized: sign in first')
      },
    }
    try {
      const port = await listen([slowRoute])
      await Promise.all([upgradeThenReset(port, '/slow', 30), upgradeThenReset(port, '/slow', 60)])
      await new Promise((r) => setTimeout(r, 300))
      expect(uncaught).toEqual([])
      expect(handled).toBe(2)
      expect(await upgradeStatus(port, '/slow')).toBe('HTTP/1.1 401 Unauthorized: sign in first')
      expect(await upgradeStatus(port, '/elsewhere')).toBe('HTTP/1.1 404 Not Found')
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})
