import 'server-only'
import type { UpgradeRoute } from './upgrade-routes'

// What the custom server wires in beside Next: WebSocket routes and background duties
// (sandbox reconcile and reaping). Each feature registers here.
export type ServerHooks = {
  upgradeRoutes: UpgradeRoute[]
  onListening: () => Promise<void>
  onClose: () => Promise<void>
}

export async function serverHooks(): Promise<ServerHooks> {
  return { upgradeRoutes: [], onListening: async () => {}, onClose: async () => {} }
}
