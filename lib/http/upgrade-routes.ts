import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/** A WebSocket endpoint owned by the custom server; it must check session and ownership itself. */
export type UpgradeRoute = {
  matches: (pathname: string) => boolean
  handle: (request: IncomingMessage, socket: Duplex, head: Buffer) => void | Promise<void>
}

export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`)
  }
  socket.destroy()
}

/**
 * The server's 'upgrade' listener: the first route that matches the path takes the socket;
 * `fallback` gets the rest (Next's own upgrades), or a 404.
 */
export function dispatchUpgrades(routes: UpgradeRoute[], fallback: (pathname: string) => UpgradeHandler | null): UpgradeHandler {
  return (request, socket, head) => {
    // Node drops its own error listener before emitting 'upgrade': a client resetting the
    // connection while a route awaits its session check would be an uncaught error.
    socket.on('error', () => socket.destroy())
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname
    const route = routes.find((r) => r.matches(pathname))
    if (route) {
      Promise.resolve(route.handle(request, socket, head)).catch((error: unknown) => {
        console.error('websocket upgrade failed:', error)
        refuseUpgrade(socket, 500, 'Internal Server Error')
      })
      return
    }
    const other = fallback(pathname)
    if (other) other(request, socket, head)
    else refuseUpgrade(socket, 404, 'Not Found')
  }
}
