// quai-web's /metrics (lib/metrics/web.server.ts) on a real server process (server.ts) with a real
// sandbox on the host's Docker engine: a learner's work through the public port (sign-up,
// heartbeat, a sandbox, a check, a terminal, a live stream, a refused request) moves what the
// metrics listener serves. The check and the sandbox go through Next's route handlers, which run
// from Next's bundle: the counters moving on the listener server.ts opened prove there is one
// registry. Production build with QUAI_TEST_SERVER_MODE=production (after `npx next build`),
// Next in dev mode otherwise. Needs root, Docker and `npm run images:build`.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, lesson, openSandbox, signUp, startServer, stopSandbox, TerminalProbe, terminalUrl, tryUpgrade, type Account, type TestServer } from '../workspace/support'
import { scrape } from './scrape'

const production = process.env.QUAI_TEST_SERVER_MODE === 'production'
const namespace = `quai-it-metrics-${process.pid}`.slice(0, 30)
const sandboxDirs = [`/var/lib/quai-it/${namespace}`, `/run/quai-it/${namespace}`]

/** A real server with its metrics listener, its own sandboxes only (a namespace of its own, no reconcile of the shared engine). */
const startMetricsServer = (metricsPort: number): Promise<TestServer> =>
  startServer({
    env: {
      QUAI_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      QUAI_SANDBOX_NAMESPACE: namespace,
      QUAI_SANDBOX_STATE_DIR: sandboxDirs[0]!,
      QUAI_SANDBOX_RUN_DIR: sandboxDirs[1]!,
      QUAI_SANDBOX_CGROUP_PARENT: namespace,
      QUAI_SANDBOX_MEMORY_MB: '768',
      QUAI_SANDBOX_DISK_MB: '1024',
    },
    readyLines: ['Quai metrics on'],
  })

const post = (server: TestServer, account: Account, pathname: string, body: unknown) =>
  fetch(`${server.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: account.cookie, origin: server.url },
    body: JSON.stringify(body),
  })

describe.sequential(`quai-web /metrics (${production ? 'production build' : 'Next dev mode'})`, () => {
  let server: TestServer
  let metricsUrl = ''
  let account: Account
  let sandboxId = ''
  const metrics = () => scrape(metricsUrl)

  beforeAll(async () => {
    const metricsPort = await freePort()
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    server = await startMetricsServer(metricsPort)
  }, 180_000)

  afterAll(async () => {
    if (sandboxId) await stopSandbox(server, account, sandboxId).catch(() => 0)
    await server?.stop()
    for (const dir of sandboxDirs) fs.rmSync(dir, { recursive: true, force: true })
    for (const c of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
      try {
        fs.rmdirSync(path.join('/sys/fs/cgroup', c, namespace))
      } catch {
        // not there, or a symlinked hierarchy
      }
    }
  }, 60_000)

  it('serves the Prometheus text format on its own listener only', async () => {
    const first = await metrics()
    expect(first.status).toBe(200)
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(first.types.get('quai_sandboxes')).toBe('gauge')
    expect(first.types.get('quai_active_learners')).toBe('gauge')
    expect(first.types.get('quai_sandbox_start_seconds')).toBe('histogram')
    expect(first.types.get('quai_check_seconds')).toBe('histogram')
    expect(first.types.get('quai_terminal_streams_open')).toBe('gauge')
    expect(first.types.get('quai_live_check_streams_open')).toBe('gauge')
    expect(first.types.get('quai_terminal_bytes_total')).toBe('counter')
    expect(first.types.get('quai_http_requests_total')).toBe('counter')
    expect(first.types.get('quai_errors_total')).toBe('counter')
    // prom-client's process metrics, under quai-web's prefix.
    expect(first.has('quai_web_process_cpu_user_seconds_total')).toBe(true)
    expect(first.has('quai_web_nodejs_eventloop_lag_seconds')).toBe(true)
    // Every state of the web's own host, 0 included, from the (empty) registry.
    for (const state of ['starting', 'running', 'stopping', 'ended', 'failed']) {
      expect(first.has('quai_sandboxes', { state, host: 'local' }), state).toBe(true)
      expect(first.value('quai_sandboxes', { state, host: 'local' })).toBe(0)
    }
    expect(first.value('quai_active_learners')).toBe(0)

    const base = metricsUrl.replace(/\/metrics$/, '')
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404)
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404)
    // The public port (the one Traefik publishes) has no metrics.
    const publicAnswer = await fetch(`${server.url}/metrics`)
    expect(publicAnswer.status).toBe(404)
    expect(await publicAnswer.text()).not.toContain('quai_sandboxes')
  })

  it('counts a learner\'s sandbox start, presence, check and refused request, from Next\'s route handlers', async () => {
    const before = await metrics()
    account = await signUp(server, 'metrics')

    const beat = await post(server, account, `/api/lessons/${lesson.course}/${lesson.lesson}/progress`, { action: 'heartbeat', seconds: 5, exerciseId: null })
    expect(beat.status).toBe(200)
    expect((await metrics()).value('quai_active_learners')).toBe(1)

    const sandbox = await openSandbox(server, account)
    sandboxId = sandbox.id
    expect(sandbox.status).toBe('running')
    const started = await metrics()
    expect(started.value('quai_sandbox_start_seconds_count', { host: 'local' }) - before.value('quai_sandbox_start_seconds_count', { host: 'local' })).toBe(1)
    expect(started.value('quai_sandbox_start_seconds_sum', { host: 'local' })).toBeGreaterThan(0)
    expect(started.value('quai_sandboxes', { state: 'running', host: 'local' })).toBe(1)

    const check = await post(server, account, '/api/exercises/check', { sandboxId, courseSlug: lesson.course, lessonSlug: lesson.lesson, exerciseId: 'volume-donnees' })
    expect(check.status).toBe(200)
    expect(((await check.json()) as { result: { passed: boolean } }).result.passed).toBe(false)
    const refused = await post(server, account, '/api/exercises/check', { sandboxId, courseSlug: lesson.course, lessonSlug: lesson.lesson })
    expect(refused.status).toBe(422)

    const after = await metrics()
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels)
    expect(delta('quai_check_seconds_count', { kind: 'click' })).toBe(1)
    expect(delta('quai_check_seconds_sum', { kind: 'click' })).toBeGreaterThan(0)
    expect(after.value('quai_check_seconds_bucket', { kind: 'click', le: '+Inf' })).toBe(after.value('quai_check_seconds_count', { kind: 'click' }))
    expect(delta('quai_errors_total', { code: 'invalid_input' })).toBe(1)
    expect(delta('quai_http_requests_total', { status: '422' })).toBe(1)
    // sign-up, heartbeat, the sandbox and the check at least.
    expect(delta('quai_http_requests_total', { status: '200' })).toBeGreaterThanOrEqual(4)
    for (const sample of after.samples.filter((s) => s.name === 'quai_http_requests_total')) expect(sample.labels.status).toMatch(/^\d{3}$/)
  })

  it('counts an open terminal and its bytes both ways', async () => {
    const before = await metrics()
    expect(before.value('quai_terminal_streams_open')).toBe(0)
    const probe = await TerminalProbe.open(terminalUrl(server, sandboxId), account, server.url)
    try {
      expect((await metrics()).value('quai_terminal_streams_open')).toBe(1)
      const command = 'echo metrics-$((6*7))'
      expect(await probe.run(command)).toContain('metrics-42')
      const during = await metrics()
      expect(during.value('quai_terminal_bytes_total', { direction: 'from_browser' }) - before.value('quai_terminal_bytes_total', { direction: 'from_browser' })).toBeGreaterThan(command.length)
      expect(during.value('quai_terminal_bytes_total', { direction: 'to_browser' }) - before.value('quai_terminal_bytes_total', { direction: 'to_browser' })).toBeGreaterThanOrEqual(probe.received)
    } finally {
      probe.close()
    }
    await expect.poll(async () => (await metrics()).value('quai_terminal_streams_open'), { timeout: 10_000 }).toBe(0)

    // A refused upgrade is an API error too, counted by its code.
    const refused = await tryUpgrade(terminalUrl(server, sandboxId), { origin: server.url })
    expect(refused).toMatchObject({ status: 401 })
    const after = await metrics()
    expect(after.value('quai_errors_total', { code: 'unauthenticated' }) - before.value('quai_errors_total', { code: 'unauthenticated' })).toBe(1)
  })

  it('counts an open live-check stream and its live runs', async () => {
    const before = await metrics()
    const abort = new AbortController()
    const query = new URLSearchParams({ courseSlug: lesson.course, lessonSlug: lesson.lesson, exerciseId: 'volume-donnees' })
    const response = await fetch(`${server.url}/api/sandboxes/${sandboxId}/live?${query}`, { headers: { cookie: account.cookie }, signal: abort.signal })
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    let text = ''
    try {
      while (!text.includes('event: result')) {
        const { done, value } = await reader.read()
        if (done) throw new Error(`the live stream ended early: ${text}`)
        text += new TextDecoder().decode(value)
      }
      const during = await metrics()
      expect(during.value('quai_live_check_streams_open')).toBe(1)
      expect(during.value('quai_check_seconds_count', { kind: 'live' }) - before.value('quai_check_seconds_count', { kind: 'live' })).toBeGreaterThanOrEqual(1)
    } finally {
      abort.abort()
    }
    await expect.poll(async () => (await metrics()).value('quai_live_check_streams_open'), { timeout: 15_000 }).toBe(0)
  })

  it('reads the sandbox registry at scrape time', async () => {
    expect(await stopSandbox(server, account, sandboxId)).toBe(200)
    const after = await metrics()
    expect(after.value('quai_sandboxes', { state: 'running', host: 'local' })).toBe(0)
    expect(after.value('quai_sandboxes', { state: 'ended', host: 'local' })).toBe(1)
    sandboxId = ''
  })
})
