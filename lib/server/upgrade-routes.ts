import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

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
