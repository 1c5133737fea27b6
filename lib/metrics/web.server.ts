import 'server-only'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { getDb } from '../db/client.server'

// quai-web's metrics, served by server.ts on QUAI_METRICS_ADDRESS (docs/architecture.md
// "Metrics"). Route handlers run from Next's bundle, which may load this module a second time
// beside the copy server.ts loaded: the metrics live on globalThis, so every copy counts into
// the one registry the listener reads. The names are a contract with the alert rules and the
// dashboard: never rename one.

/** The states the sandbox registry writes (lib/sandbox/types.ts sandboxStatuses, which sits a floor above). */
export const sandboxStates = ['starting', 'running', 'stopping', 'ended', 'failed'] as const
/** Sandboxes the web's own placement holds (in-process, or its one agent on QUAI_AGENT_SOCKET). */
export const localHost = 'local'
/** A learner is active while their presence (the lesson page's heartbeat) is this recent. */
export const activeLearnerWindowMs = 5 * 60_000

export type CheckKind = 'click' | 'live'

function createWebMetrics() {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry, prefix: 'quai_web_' })
  return {
    registry,
    sandboxes: new Gauge({
      name: 'quai_sandboxes',
      help: 'Sandboxes in the registry (the database) by state and host (agent name, or "local"); read at scrape time.',
      labelNames: ['state', 'host'] as const,
      registers,
      async collect() {
        const counts = await sandboxCounts().catch((error: unknown) => {
          console.warn(`metrics: quai_sandboxes: ${error instanceof Error ? error.message : String(error)}`)
          return null
        })
        this.reset()
        for (const { state, host, count } of counts ?? []) this.set({ state, host }, count)
      },
    }),
    activeLearners: new Gauge({
      name: 'quai_active_learners',
      help: 'Learners whose lesson page sent a heartbeat (Presence) in the last 5 minutes; read at scrape time.',
      registers,
      async collect() {
        const since = new Date(Date.now() - activeLearnerWindowMs)
        const count = await getDb()
          .then((db) => db.presence.count({ where: { lastSeenAt: { gte: since } } }))
          .catch((error: unknown) => {
            console.warn(`metrics: quai_active_learners: ${error instanceof Error ? error.message : String(error)}`)
            return null
          })
        this.reset()
        if (count !== null) this.set(count)
      },
    }),
    sandboxStartSeconds: new Histogram({
      name: 'quai_sandbox_start_seconds',
      help: 'Time from a learner\'s request (the reservation) to a running new sandbox, queue wait included, by host.',
      labelNames: ['host'] as const,
      buckets: [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60],
      registers,
    }),
    checkSeconds: new Histogram({
      name: 'quai_check_seconds',
      help: 'Duration of a check run (kind "click": the Check button or an author\'s solution run; "live": live mode).',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    }),
    terminalStreamsOpen: new Gauge({ name: 'quai_terminal_streams_open', help: 'Terminal WebSockets this instance holds open.', registers }),
    liveCheckStreamsOpen: new Gauge({ name: 'quai_live_check_streams_open', help: 'Live-check event streams this instance holds open.', registers }),
    terminalBytes: new Counter({
      name: 'quai_terminal_bytes_total',
      help: 'Terminal bytes through this instance: the shell\'s output to the browser, keystrokes from it.',
      labelNames: ['direction'] as const,
      registers,
    }),
    httpRequests: new Counter({
      name: 'quai_http_requests_total',
      help: 'HTTP answers of the public listener by status (learners\' published apps and WebSocket upgrades not included).',
      labelNames: ['status'] as const,
      registers,
    }),
    errors: new Counter({ name: 'quai_errors_total', help: 'API error answers by their error code (lib/http/api.server.ts).', labelNames: ['code'] as const, registers }),
  }
}

export type WebMetrics = ReturnType<typeof createWebMetrics>

const globalForMetrics = globalThis as unknown as { quaiWebMetrics?: WebMetrics }

/** The one set of quai-web metrics of this process, whichever copy of this module asks. */
export function webMetrics(): WebMetrics {
  globalForMetrics.quaiWebMetrics ??= createWebMetrics()
  return globalForMetrics.quaiWebMetrics
}

/**
 * Every state on every known host, 0 included (a series that vanishes cannot be alerted on):
 * the known hosts are "local", the registered agents, and any host a row names.
 */
async function sandboxCounts(): Promise<{ state: string; host: string; count: number }[]> {
  const db = await getDb()
  const [groups, agents] = await Promise.all([
    db.sandbox.groupBy({ by: ['status', 'agentName'], _count: { _all: true } }),
    db.sandboxAgent.findMany({ select: { name: true } }),
  ])
  const counts = new Map<string, number>()
  const key = (state: string, host: string) => `${state}\n${host}`
  const hosts = new Set([localHost, ...agents.map((a) => a.name)])
  for (const g of groups) {
    const host = g.agentName ?? localHost
    hosts.add(host)
    counts.set(key(g.status, host), (counts.get(key(g.status, host)) ?? 0) + g._count._all)
  }
  const states = new Set<string>([...sandboxStates, ...groups.map((g) => g.status)])
  return [...hosts].flatMap((host) => [...states].map((state) => ({ state, host, count: counts.get(key(state, host)) ?? 0 })))
}
