import 'server-only'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'

// quai-agent's metrics, served by agent.ts on QUAI_AGENT_METRICS_ADDRESS (docs/architecture.md
// "Metrics"). Read at scrape time from the host's room: the capacity the agent answers
// quai-web's heartbeat with, less its image lists. The names are a contract with the alert
// rules and the dashboard: never rename one.

/** This host's room (lib/agent/server.server.ts agentRoom): the capacity the heartbeat gets, without its images, and the disk's size. */
export type AgentRoom = { memoryFreeMb: number; memoryTotalMb: number; diskFreeMb: number; diskTotalMb: number; runningSandboxes: number }

export type AgentMetricsSource = {
  name: string
  version: string
  /** The agent's own QUAI_SANDBOX_MAX_CONCURRENT: the denominator of resource="sandboxes". */
  maxSandboxes: number
  room: () => Promise<AgentRoom>
}

/** Used share of a resource, within 0..1 (a total of 0 reads as full). */
export function usedRatio(free: number, total: number): number {
  if (!(total > 0)) return 1
  return Math.min(1, Math.max(0, 1 - free / total))
}

export function agentMetrics(source: AgentMetricsSource): Registry {
  const registry = new Registry()
  const registers = [registry]
  const host = source.name
  collectDefaultMetrics({ register: registry, prefix: 'quai_agent_' })
  // A host that cannot answer (its engine is down) loses these series, not the whole scrape.
  const readRoom = () =>
    source.room().catch((error: unknown) => {
      console.warn(`[agent] metrics: ${error instanceof Error ? error.message : String(error)}`)
      return null
    })
  // One reading serves both gauges of a scrape: the registry collects them in the order they
  // were made, the first takes a fresh reading and the second uses it up.
  let reading: Promise<AgentRoom | null> | null = null
  new Gauge({ name: 'quai_agent_info', help: 'This agent: its name (host) and version; always 1.', labelNames: ['host', 'version'] as const, registers }).set(
    { host, version: source.version },
    1,
  )
  new Gauge({
    name: 'quai_agent_sandboxes_running',
    help: 'Sandboxes this agent runs (its placement\'s own list, at scrape time).',
    labelNames: ['host'] as const,
    registers,
    async collect() {
      reading = readRoom()
      const r = await reading
      this.reset()
      if (r) this.set({ host }, r.runningSandboxes)
    },
  })
  new Gauge({
    name: 'quai_agent_capacity_used_ratio',
    help: 'Used share (0..1) of this host\'s memory, sandbox disk filesystem, and sandboxes against its QUAI_SANDBOX_MAX_CONCURRENT.',
    labelNames: ['host', 'resource'] as const,
    registers,
    async collect() {
      const r = await (reading ?? readRoom())
      reading = null
      this.reset()
      if (!r) return
      this.set({ host, resource: 'memory' }, usedRatio(r.memoryFreeMb, r.memoryTotalMb))
      this.set({ host, resource: 'disk' }, usedRatio(r.diskFreeMb, r.diskTotalMb))
      this.set({ host, resource: 'sandboxes' }, Math.min(1, r.runningSandboxes / Math.max(1, source.maxSandboxes)))
    },
  })
  return registry
}
