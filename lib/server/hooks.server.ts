import 'server-only'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startSandboxRuntime, stopSandboxRuntime } from '../sandbox/sandboxes.server'
import { terminalUpgradeRoute } from '../terminal/upgrade.server'
import type { Duplex } from 'node:stream'
import type { UpgradeRoute } from './upgrade-routes'

/** The host names that serve learners' web apps (lib/ports), never Quai's own pages. */
export type PortOrigins = {
  owns: (request: IncomingMessage) => boolean
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>
  upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void
}

// What the custom server wires in beside Next: WebSocket routes, the port origins (streaming
// proxies Next cannot serve), and background duties (sandbox reconcile, reaping, warm pool).
export type ServerHooks = {
  upgradeRoutes: UpgradeRoute[]
  portOrigins: PortOrigins
  onListening: () => Promise<void>
  onClose: () => Promise<void>
}

/**
 * QUAI_SANDBOX_RUNTIME=off skips reconcile, reaping and pool filling. For test servers that
 * share a Docker engine with another Quai: reconcile removes every sandbox on the engine that
 * its own database does not know, including the other installation's.
 */
const runtimeEnabled = () => process.env.QUAI_SANDBOX_RUNTIME !== 'off'

export async function serverHooks(): Promise<ServerHooks> {
  return {
    upgradeRoutes: [terminalUpgradeRoute()],
    portOrigins: { owns: () => false, handle: async () => undefined, upgrade: (_request, socket) => void socket.destroy() },
    onListening: async () => {
      if (runtimeEnabled()) await startSandboxRuntime()
    },
    onClose: async () => {
      stopSandboxRuntime()
    },
  }
}
