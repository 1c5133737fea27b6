// Quai's own stack on the simulated Swarm (docs/cluster.md "Quai's stack on the cluster"), in
// Chromium: deploy/stack.yaml with its offline override on three Docker-in-Docker hosts, the
// quai/web image as shipped (its runtime, from this checkout's production build), PostgreSQL,
// HAProxy in Traefik's place, Prometheus and Alertmanager, and a quai-agent on hosts 2 and 3.
// A learner's lab survives what a school's cluster goes through: a sandbox host dies, a web
// replica dies, a new web image rolls out; Prometheus sees it all.
//   npx playwright test -c playwright.cluster.config.ts       (root, Docker, `npm run build` first)
// QUAI_CLUSTER_WEB_TAG=<tag> uses an existing quai/web:<tag> instead of building one;
// QUAI_CLUSTER_KEEP=1 leaves the cluster and the stack up (scripts/cluster/down.sh removes them).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { chromium, expect, test, type Browser, type Locator, type Page } from '@playwright/test'
import { newStudent, signUp } from '../e2e/support/accounts'
import { checkExercise, terminalStates, watchTerminalStates } from '../e2e/support/lab'
import { gotoLoaded } from '../e2e/support/navigation'
import { callFromPage } from '../e2e/support/page-api'
import { clusterScript, ms, nodeDocker, root } from './cluster-scripts'

const sh = promisify(execFile)
const tag = process.env.QUAI_CLUSTER_WEB_TAG ?? 'cluster-e2e'
const appHost = 'quai.test'
const appUrl = `http://${appHost}`
const lesson = '/courses/reseaux-docker/sous-reseaux-et-dns'
const timings: Record<string, number> = {}
let browser: Browser | null = null

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  test.setTimeout(25 * 60_000)
  let t0 = performance.now()
  if (!process.env.QUAI_CLUSTER_WEB_TAG) {
    await sh('bash', ['deploy/build-images.sh', '--prebuilt', tag], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
    timings.web_image_ms = ms(t0)
  }
  await clusterScript('down.sh')
  t0 = performance.now()
  await clusterScript('up.sh', ['3'])
  timings.cluster_up_ms = ms(t0)
  t0 = performance.now()
  const stack = await clusterScript('stack.sh', ['up', tag], 900_000)
  timings.stack_up_ms = ms(t0)
  const edge = stack.values.edge_ip ?? ''
  expect(edge).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
  // Chromium resolves the app's name to the edge (HAProxy on node 1), as a school's DNS would.
  browser = await chromium.launch({
    executablePath: process.env.QUAI_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', `--host-resolver-rules=MAP ${appHost} ${edge}`],
  })
})

test.afterAll(async () => {
  console.log(`[cluster stack] timings ${JSON.stringify(timings)}`)
  await browser?.close()
  if (process.env.QUAI_CLUSTER_KEEP !== '1') await clusterScript('down.sh')
})

const service = 'quai_quai-web'

/** The running quai-web containers on node 1's engine. */
async function webContainers(): Promise<string[]> {
  const ids = await nodeDocker(1, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`, '--filter', 'status=running'])
  return ids.split('\n').filter(Boolean)
}

async function healthyWebContainers(): Promise<string[]> {
  const ids = await nodeDocker(1, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`, '--filter', 'health=healthy'])
  return ids.split('\n').filter(Boolean)
}

/** quai-admin in a web replica, as docs/deploy.md runs it. */
async function quaiAdmin(...args: string[]): Promise<string> {
  const [web] = await webContainers()
  if (!web) throw new Error('no running quai-web replica')
  return nodeDocker(1, ['exec', web, 'quai-admin', ...args])
}

/** The sandbox containers on node N's engine (the agent's sandboxes there). */
async function sandboxesOn(n: number): Promise<string[]> {
  const names = await nodeDocker(n, ['ps', '--filter', 'label=quai.sandbox', '--format', '{{.Names}}'])
  return names.split('\n').filter(Boolean)
}


/** Prometheus's answer to an instant query, asked inside its own container. */
async function prometheus(query: string): Promise<string> {
  const [id] = (await nodeDocker(1, ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=quai_prometheus'])).split('\n')
  return nodeDocker(1, ['exec', id!, 'promtool', 'query', 'instant', 'http://localhost:9090', query])
}

async function typeIn(page: Page, terminal: Locator, line: string): Promise<void> {
  await terminal.locator('.xterm').click()
  await page.keyboard.type(`${line}\n`)
}

test('a learner keeps working while a sandbox host dies, a web replica dies and a new web image rolls out', async () => {
  test.setTimeout(20 * 60_000)
  if (!browser) throw new Error('no browser')

  // ---- An instructor, made with the setup token as an installer would, and a class.
  const teacherContext = await browser.newContext({ baseURL: appUrl, locale: 'fr-FR' })
  const teacher = await teacherContext.newPage()
  await gotoLoaded(teacher, '/')
  const token = /token=([A-Za-z0-9_-]+)/.exec(await quaiAdmin('setup-token'))?.[1]
  expect(token).toBeTruthy()
  const account = { ...newStudent(), email: `prof-${Date.now()}@quai.test` }
  expect((await callFromPage(teacher, 'POST', '/setup/claim', { token, account })).status).toBe(201)
  expect((await callFromPage(teacher, 'POST', '/api/auth/sign-in/email', { email: account.email, password: account.password })).status).toBe(200)
  const created = await callFromPage(teacher, 'POST', '/api/classes', { name: 'Réseaux, groupe B', courses: ['reseaux-docker'] })
  expect(created.status).toBe(201)
  const { joinCode } = created.json as { joinCode: string }

  // ---- 1. A learner signs up, joins the class, opens a lab: the sandbox lands on host 2
  // (host 3 is drained until then), and a check passes on it.
  expect(await quaiAdmin('agents', 'drain', 'node-3')).toContain('node-3')
  const context = await browser.newContext({ baseURL: appUrl, locale: 'fr-FR' })
  const page = await context.newPage()
  await signUp(page)
  await gotoLoaded(page, `/join/${joinCode}`)
  await page.getByRole('button', { name: 'Rejoindre' }).click()
  await expect(page.getByText('Réseaux, groupe B').first()).toBeVisible()

  let t0 = performance.now()
  await gotoLoaded(page, lesson)
  const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
  const terminal = workspace.locator('[data-terminal-node="node1"]')
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 120_000 })
  timings.first_sandbox_ready_ms = ms(t0)
  expect(await sandboxesOn(2)).toHaveLength(1)
  expect(await sandboxesOn(3)).toHaveLength(0)
  expect(await quaiAdmin('agents', 'undrain', 'node-3')).toContain('node-3')

  const panel = page.getByRole('region', { name: 'Exercices' }).last()
  await typeIn(page, terminal, 'docker network create --subnet 10.50.0.0/24 --gateway 10.50.0.254 --ip-range 10.50.0.128/25 net-app && echo cree-$((40+2))')
  await expect(terminal.locator('.xterm-rows > div').filter({ hasText: /^cree-42\s*$/ })).toBeVisible({ timeout: 30_000 })
  const checked = await checkExercise(page, panel)
  expect(checked.status()).toBe(200)
  expect(await checked.json()).toMatchObject({ result: { passed: true, passedCount: 5, totalCount: 5 } })
  await expect(panel.getByRole('status')).toHaveText('Exercice réussi : tout est en place.')

  // ---- 2. Host 2's agent dies (SIGKILL). The learner is told, and gets a sandbox on host 3.
  const killedAgentAt = Date.now()
  await sh('docker', ['exec', 'quai-cluster-node-2', 'sh', '-c', 'kill -9 $(cat /run/quai-cluster/agent.pid)'])
  await expect(workspace.getByText('Le serveur de votre bac à sable ne répond plus')).toBeVisible({ timeout: 90_000 })
  timings.host_lost_told_ms = Date.now() - killedAgentAt
  expect(await quaiAdmin('agents', 'list')).toMatch(/node-2\s.*LOST since/)
  t0 = performance.now()
  await workspace.getByRole('button', { name: 'Nouveau bac à sable' }).click()
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 120_000 })
  timings.new_sandbox_on_host_3_ms = ms(t0)
  expect(await sandboxesOn(3)).toHaveLength(1)
  // The passed exercise stays passed: progress lives in the database, not on the lost host.
  await expect(panel.getByRole('button', { name: /Exercice 1 ·/ })).toContainText('Terminé')

  // ---- 3. One web replica dies. The terminal reconnects through the other, to the same shell.
  const marker = `m${Date.now().toString(36)}`
  await typeIn(page, terminal, `QUAI_MARK=${marker}; echo "before-$QUAI_MARK"`)
  const rows = terminal.locator('.xterm-rows > div')
  await expect(rows.filter({ hasText: new RegExp(`^before-${marker}\\s*$`) })).toBeVisible({ timeout: 30_000 })
  await watchTerminalStates(terminal)
  // The terminal's WebSocket goes through one of the two replicas, which the test cannot see
  // from outside: kill one; if the terminal did not notice, it was on the other, which is
  // killed in turn once the first one's replacement is healthy.
  const replicas = await healthyWebContainers()
  expect(replicas).toHaveLength(2)
  let killedWebAt = 0
  for (const victim of replicas) {
    killedWebAt = Date.now()
    await nodeDocker(1, ['kill', victim])
    const noticed = await expect
      .poll(async () => (await terminalStates(page)).some((s) => s.state !== 'open'), { timeout: 5_000 })
      .toBe(true)
      .then(() => true, () => false)
    if (noticed) break
    await expect.poll(async () => (await healthyWebContainers()).length, { timeout: 180_000, intervals: [1_000] }).toBe(2)
  }
  await expect(async () => {
    const states = await terminalStates(page)
    expect(states.some((s) => s.state !== 'open')).toBe(true)
    expect(states.at(-1)?.state).toBe('open')
  }).toPass({ timeout: 60_000, intervals: [100] })
  timings.terminal_reconnect_ms = (await terminalStates(page)).at(-1)!.at - killedWebAt
  await typeIn(page, terminal, 'echo "after-$QUAI_MARK"')
  await expect(rows.filter({ hasText: new RegExp(`^after-${marker}\\s*$`) })).toBeVisible({ timeout: 30_000 })

  // ---- 4. A new web image rolls out (docker service update, start-first). No request fails:
  // the page keeps asking for the lesson and the health endpoint the whole time.
  await expect.poll(async () => (await healthyWebContainers()).length, { timeout: 180_000, intervals: [1_000] }).toBe(2)
  await nodeDocker(1, ['tag', `quai/web:${tag}`, `quai/web:${tag}-next`])
  await page.evaluate(() => {
    const w = window as unknown as { quaiLoad: { ok: number; failed: string[]; stop: boolean } }
    w.quaiLoad = { ok: 0, failed: [], stop: false }
    const loop = async (path: string) => {
      while (!w.quaiLoad.stop) {
        try {
          const response = await fetch(path, { cache: 'no-store' })
          await response.text()
          if (response.ok) w.quaiLoad.ok++
          else w.quaiLoad.failed.push(`${path} ${response.status}`)
        } catch (error) {
          w.quaiLoad.failed.push(`${path} ${(error as Error).message}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    void loop('/api/health')
    void loop(location.pathname)
  })
  t0 = performance.now()
  await nodeDocker(1, ['service', 'update', '--detach', '--image', `quai/web:${tag}-next`, service])
  await expect
    .poll(async () => nodeDocker(1, ['service', 'inspect', '-f', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', service]), { timeout: 600_000, intervals: [2_000] })
    .toBe('completed')
  timings.rollout_ms = ms(t0)
  const load = await page.evaluate(() => {
    const w = window as unknown as { quaiLoad: { ok: number; failed: string[]; stop: boolean } }
    w.quaiLoad.stop = true
    return { ok: w.quaiLoad.ok, failed: w.quaiLoad.failed }
  })
  timings.rollout_requests = load.ok + load.failed.length
  console.log(`[cluster stack] rollout: ${load.ok} requests answered, ${load.failed.length} failed ${JSON.stringify(load.failed.slice(0, 10))}`)
  expect(load.failed).toEqual([])
  expect(load.ok).toBeGreaterThan(20)
  const images = await nodeDocker(1, ['ps', '--filter', `label=com.docker.swarm.service.name=${service}`, '--format', '{{.Image}}'])
  expect(images.split('\n').sort()).toEqual([`quai/web:${tag}-next`, `quai/web:${tag}-next`])
  // The learner's shell is still there, through whichever replica now serves it.
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 60_000 })
  await typeIn(page, terminal, 'echo "rolled-$QUAI_MARK"')
  await expect(rows.filter({ hasText: new RegExp(`^rolled-${marker}\\s*$`) })).toBeVisible({ timeout: 30_000 })

  // ---- 5. Prometheus scraped both web replicas and both agents, and the agent-down alert fired
  // for host 2 (Prometheus's own record of it, and Alertmanager received it).
  await expect.poll(() => prometheus('count(up{job="quai-web"} == 1)'), { timeout: 120_000, intervals: [5_000] }).toMatch(/=> 2 @/)
  const agentsSeen = await prometheus('max_over_time(up{job="quai-agent"}[30m])')
  expect(agentsSeen).toMatch(/host="node-2".*=> 1 @/)
  expect(agentsSeen).toMatch(/host="node-3".*=> 1 @/)
  await expect
    .poll(() => prometheus('max_over_time(ALERTS{alertname="QuaiAgentDown",alertstate="firing"}[30m])'), { timeout: 180_000, intervals: [5_000] })
    .toMatch(/host="node-2".*=> 1 @/)
  timings.agent_down_alert_seen_ms = Date.now() - killedAgentAt
  const [alertmanager] = (await nodeDocker(1, ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=quai_alertmanager'])).split('\n')
  await expect
    .poll(() => nodeDocker(1, ['exec', alertmanager!, 'amtool', 'alert', 'query', 'alertname=QuaiAgentDown', '--alertmanager.url=http://localhost:9093']), { timeout: 120_000, intervals: [5_000] })
    .toContain('QuaiAgentDown')

  // The sandbox goes with the cluster (down.sh in afterAll).
  await context.close()
  await teacherContext.close()
})
