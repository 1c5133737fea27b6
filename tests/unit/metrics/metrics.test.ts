import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { rateLimitedAnswer, RateLimitedError } from '../../../lib/http/usage-limits.server'
import { agentMetrics, usedRatio } from '../../../lib/metrics/agent.server'
import { listenForMetrics } from '../../../lib/metrics/listener.server'
import { sandboxStates, webMetrics } from '../../../lib/metrics/web.server'
import { sandboxStatuses } from '../../../lib/sandbox/types'
import { parseExposition } from '../../integration/metrics/scrape'
import { envOverrides } from '../../support/env-override'

// The metrics' pure parts; what they count on real servers is in tests/integration/metrics.

describe('the metrics variables', () => {
  const withEnv = envOverrides(['QUAI_METRICS_ADDRESS', 'QUAI_AGENT_METRICS_ADDRESS'])

  it('take ip:port, are off when unset, and name themselves when wrong', () => {
    delete process.env.QUAI_METRICS_ADDRESS
    delete process.env.QUAI_AGENT_METRICS_ADDRESS
    expect(withEnv({})().QUAI_METRICS_ADDRESS).toBeUndefined()
    expect(withEnv({ QUAI_METRICS_ADDRESS: '0.0.0.0:9464', QUAI_AGENT_METRICS_ADDRESS: '[::1]:9465' })()).toMatchObject({ QUAI_METRICS_ADDRESS: '0.0.0.0:9464', QUAI_AGENT_METRICS_ADDRESS: '[::1]:9465' })
    expect(withEnv({ QUAI_METRICS_ADDRESS: '9464' })).toThrow(/QUAI_METRICS_ADDRESS: expected ip:port/)
    expect(withEnv({ QUAI_METRICS_ADDRESS: '127.0.0.1:9464', QUAI_AGENT_METRICS_ADDRESS: 'metrics.local:9465' })).toThrow(/QUAI_AGENT_METRICS_ADDRESS: expected ip:port/)
  })
})

describe('quai-web metrics', () => {
  it('zero-fill every state the sandbox registry writes', () => {
    expect([...sandboxStates]).toEqual([...sandboxStatuses])
  })

  it('count the 429s written as raw answers (terminal upgrades, the port proxy) by their code', async () => {
    const count = async () => (await webMetrics().errors.get()).values.find((v) => v.labels.code === 'rate_limited')?.value ?? 0
    const before = await count()
    const answer = rateLimitedAnswer(new RateLimitedError('terminals', 30, 'too many terminals'))
    expect(answer.status).toBe(429)
    expect(await count()).toBe(before + 1)
  })

  it('are one set per process, whichever copy of the module asks', () => {
    expect(webMetrics()).toBe(webMetrics())
    expect((globalThis as { quaiWebMetrics?: unknown }).quaiWebMetrics).toBe(webMetrics())
  })
})

describe('quai-agent metrics', () => {
  it('clamp used ratios to 0..1', () => {
    expect(usedRatio(25, 100)).toBe(0.75)
    expect(usedRatio(100, 100)).toBe(0)
    expect(usedRatio(-5, 100)).toBe(1)
    expect(usedRatio(5, 0)).toBe(1)
  })

  it('read the capacity at scrape time, and lose only their series when it fails', async () => {
    let room: Promise<{ memoryFreeMb: number; memoryTotalMb: number; diskFreeMb: number; diskTotalMb: number; runningSandboxes: number }> = Promise.resolve({
      memoryFreeMb: 1000,
      memoryTotalMb: 4000,
      diskFreeMb: 10,
      diskTotalMb: 40,
      runningSandboxes: 3,
    })
    const registry = agentMetrics({ name: 'h1', version: '9.9.9', maxSandboxes: 2, room: () => room })
    const { samples } = parseExposition(await registry.metrics())
    const value = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(value('quai_agent_info', { host: 'h1', version: '9.9.9' })).toBe(1)
    expect(value('quai_agent_sandboxes_running', { host: 'h1' })).toBe(3)
    expect(value('quai_agent_capacity_used_ratio', { host: 'h1', resource: 'memory' })).toBe(0.75)
    expect(value('quai_agent_capacity_used_ratio', { host: 'h1', resource: 'disk' })).toBe(0.75)
    expect(value('quai_agent_capacity_used_ratio', { host: 'h1', resource: 'sandboxes' })).toBe(1)

    room = Promise.reject(new Error('engine down'))
    const failed = parseExposition(await registry.metrics()).samples
    expect(failed.some((s) => s.name === 'quai_agent_sandboxes_running')).toBe(false)
    expect(failed.some((s) => s.name === 'quai_agent_info')).toBe(true)
    expect(failed.some((s) => s.name === 'quai_agent_process_cpu_user_seconds_total')).toBe(true)
  })
})

describe('the metrics listener', () => {
  it('answers GET /metrics and 404 to anything else', async () => {
    const registry = agentMetrics({ name: 'h2', version: '1', maxSandboxes: 1, room: async () => ({ memoryFreeMb: 1, memoryTotalMb: 2, diskFreeMb: 1, diskTotalMb: 2, runningSandboxes: 0 }) })
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo
        probe.close(() => resolve(port))
      })
    })
    const where = `http://127.0.0.1:${port}`
    const server = await new Promise<net.Server>((resolve) => {
      const listening = listenForMetrics(`127.0.0.1:${port}`, registry, () => resolve(listening))
    })
    onTestFinished(() => void server.close())
    const ok = await fetch(`${where}/metrics`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(await ok.text()).toContain('quai_agent_info{host="h2",version="1"} 1')
    expect((await fetch(`${where}/metrics?x=1`)).status).toBe(200)
    for (const [path, method] of [['/', 'GET'], ['/metric', 'GET'], ['/metrics/', 'GET'], ['/metrics', 'POST'], ['/metrics', 'DELETE']] as const) {
      expect((await fetch(`${where}${path}`, { method })).status, `${method} ${path}`).toBe(404)
    }
  })
})
