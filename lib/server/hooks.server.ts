import 'server-only'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startSandboxRuntime, stopSandboxRuntime } from '../sandbox/runtime.server'
import type { Duplex } from 'node:stream'
import { envNow } from '../env.server'
import { terminalUpgradeRoute } from '../terminal/upgrade.server'
import { pruneUsageCounters } from '../db/usage-counter.server'
import { prunePortGrants } from '../workspace/port-access.server'
import { isPortOriginRequest, proxyPortRequest, proxyPortUpgrade } from '../workspace/port-proxy.server'
import type { UpgradeRoute } from '../http/upgrade-routes'

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
const runtimeEnabled = () => envNow('QUAI_SANDBOX_RUNTIME') !== 'off'

/** Spent port grants and ended usage windows go once an hour (any instance may do it). */
function startHousekeeping(): () => void {
  const sweep = () => void Promise.all([prunePortGrants(), pruneUsageCounters()]).catch((error: unknown) => console.warn('housekeeping:', error))
  const timer = setInterval(sweep, 60 * 60_000)
  timer.unref()
  return () => clearInterval(timer)
}

export async function serverHooks(): Promise<ServerHooks> {
  let stopHousekeeping = () => undefined as void
  return {
    upgradeRoutes: [terminalUpgradeRoute()],
    portOrigins: { owns: isPortOriginRequest, handle: proxyPortRequest, upgrade: proxyPortUpgrade },
    onListening: async () => {
      stopHousekeeping = startHousekeeping()
      await (await import('../auth/setup-token.server')).announceSetupTokenIfNeeded()
      if (runtimeEnabled()) await startSandboxRuntime()
    },
    onClose: async () => {
      stopHousekeeping()
      stopSandboxRuntime()
    },
  }
}
