import 'server-only'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startSandboxRuntime, stopSandboxRuntime } from '../sandbox/sandboxes.server'
import { terminalUpgradeRoute } from '../terminal/upgrade.server'
import { matchPortProxy, portProxyUpgradeRoute, proxyPortRequest } from '../workspace/port-proxy.server'
import type { UpgradeRoute } from './upgrade-routes'

/** A plain HTTP endpoint served before Next's handler (the sandbox port proxy). */
export type HttpRoute = {
  matches: (pathname: string) => boolean
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>
}

// What the custom server wires in beside Next: WebSocket routes, HTTP routes Next cannot
// serve (streaming proxies), and background duties (sandbox reconcile, reaping, warm pool).
export type ServerHooks = {
  upgradeRoutes: UpgradeRoute[]
  httpRoutes: HttpRoute[]
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
    upgradeRoutes: [terminalUpgradeRoute(), portProxyUpgradeRoute()],
    httpRoutes: [{ matches: matchPortProxy, handle: proxyPortRequest }],
    onListening: async () => {
      if (runtimeEnabled()) await startSandboxRuntime()
    },
    onClose: async () => {
      stopSandboxRuntime()
    },
  }
}
