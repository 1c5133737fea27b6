// quai-agent's /metrics (lib/metrics/agent.server.ts) on a real agent process (agent.ts) with a
// real sandbox on the host's Docker engine: its running count and capacity ratios follow the
// sandbox, on a listener of its own (QUAI_AGENT_METRICS_ADDRESS), never on the signed channel.
// Needs root, Docker and `npm run images:build`.
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { endSandbox, openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'
import { startTestAgent, type TestAgent } from '../../../scripts/split/agent-process'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'
import { freePort } from '../workspace/support'
import { scrape } from './scrape'

withTestNamespace('metrics-agent', { maxConcurrent: 4 })

describe.sequential('quai-agent /metrics', () => {
  const host = 'metrics-host'
  let agent: TestAgent
  let metricsUrl = ''
  let sandboxId = ''
  const metrics = () => scrape(metricsUrl)

  beforeAll(async () => {
    await createUser('mia')
    const port = await freePort()
    metricsUrl = `http://127.0.0.1:${port}/metrics`
    agent = await startTestAgent({ name: host, env: { QUAI_AGENT_METRICS_ADDRESS: `127.0.0.1:${port}`, QUAI_SANDBOX_MAX_CONCURRENT: '4' } })
    setSandboxPlacementForTests(agent.placement)
    // The agent says so once both listeners are up; the socket answered first.
    const deadline = Date.now() + 10_000
    while (!agent.output().includes('metrics on http://127.0.0.1:')) {
      if (Date.now() > deadline) throw new Error(`no metrics listener:\n${agent.output()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }, 60_000)

  afterAll(async () => {
    await cleanUpNamespace()
    await agent?.stop()
    setSandboxPlacementForTests(null)
  })

  it('serves its info, capacity and process metrics on its own listener', async () => {
    const first = await metrics()
    expect(first.status).toBe(200)
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    const version = (await import('../../../package.json', { with: { type: 'json' } })).default.version
    expect(first.value('quai_agent_info', { host, version })).toBe(1)
    expect(first.types.get('quai_agent_sandboxes_running')).toBe('gauge')
    expect(first.value('quai_agent_sandboxes_running', { host })).toBe(0)
    for (const resource of ['memory', 'disk', 'sandboxes']) {
      expect(first.has('quai_agent_capacity_used_ratio', { host, resource }), resource).toBe(true)
      const ratio = first.value('quai_agent_capacity_used_ratio', { host, resource })
      expect(ratio).toBeGreaterThanOrEqual(0)
      expect(ratio).toBeLessThanOrEqual(1)
    }
    expect(first.value('quai_agent_capacity_used_ratio', { host, resource: 'sandboxes' })).toBe(0)
    // A host with memory and a disk in use reads above 0.
    expect(first.value('quai_agent_capacity_used_ratio', { host, resource: 'memory' })).toBeGreaterThan(0)
    expect(first.value('quai_agent_capacity_used_ratio', { host, resource: 'disk' })).toBeGreaterThan(0)
    expect(first.has('quai_agent_process_cpu_user_seconds_total')).toBe(true)
    expect(first.has('quai_web_process_cpu_user_seconds_total')).toBe(false)

    expect((await fetch(metricsUrl.replace(/\/metrics$/, '/v1/ops/capacity'), { method: 'POST' })).status).toBe(404)
    // The signed channel has no /metrics.
    const onSocket = await new Promise<number>((resolve, reject) => {
      http.get({ socketPath: agent.socketPath, path: '/metrics' }, (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      }).on('error', reject)
    })
    expect(onSocket).toBe(404)
  })

  it('follows a sandbox it runs', async () => {
    const view = await openSandbox('mia', { lessonKey: 'docker/premiers-pas' })
    sandboxId = view.id
    expect(view.status).toBe('running')
    const running = await metrics()
    expect(running.value('quai_agent_sandboxes_running', { host })).toBe(1)
    expect(running.value('quai_agent_capacity_used_ratio', { host, resource: 'sandboxes' })).toBe(0.25)

    await endSandbox(sandboxId, 'stopped')
    const ended = await metrics()
    expect(ended.value('quai_agent_sandboxes_running', { host })).toBe(0)
    expect(ended.value('quai_agent_capacity_used_ratio', { host, resource: 'sandboxes' })).toBe(0)
  })
})
