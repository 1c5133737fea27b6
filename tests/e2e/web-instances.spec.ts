import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { checkResponseSchema } from '../../lib/checks/api'
import { createPostgresDatabase, postgresAdminUrl } from '../support/postgres-database'
import { signUp } from './support/accounts'
import { startBalancer, type Balancer } from './support/balancer'
import { openLab, stopLabSandbox, terminalStates, watchTerminalStates } from './support/lab'
import { freePort } from './support/server'

// quai-web is stateless (issue 14): two instances of the production server on ONE database
// (PostgreSQL, as several web hosts share one, when `npm test` started its throwaway server;
// otherwise SQLite in WAL mode, which several processes of one host may share), behind a round-robin
// balancer that knows nothing of sessions. A learner's terminal opened through instance A
// survives A being killed: the browser reconnects through B to the same shell, which the
// session holder in the node kept. A check submitted through B sees the sandbox A created.

type Instance = { name: string; port: number; process: ChildProcess; log: () => string }

const state = '.cache/e2e/instances'
const namespace = 'quai-e2e-instances'
/** As root, the instances run as production does: the user quai, one quai-agent (root) for both. */
const split = process.getuid?.() === 0 && process.env.QUAI_E2E_SPLIT !== '0'
const agentSocket = `/run/quai/agent-${namespace}.sock`
const agentKey = path.resolve(state, 'agent.key')

function startAgent(): Instance {
  fs.writeFileSync(agentKey, crypto.randomBytes(32).toString('base64url'), { mode: 0o640 })
  execFileSync('chgrp', ['quai', agentKey])
  fs.rmSync(agentSocket, { force: true })
  let log = ''
  const child = spawn('node_modules/.bin/tsx', ['--import', './scripts/node/register.mjs', 'agent.ts'], {
    env: { ...process.env, NODE_ENV: 'production', QUAI_AGENT_SOCKET: agentSocket, QUAI_AGENT_KEY_FILE: agentKey, QUAI_AGENT_SOCKET_GROUP: 'quai', QUAI_SANDBOX_NAMESPACE: namespace },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  return { name: 'agent', port: 0, process: child, log: () => log }
}

async function startInstance(name: string, port: number, appUrl: string, databaseUrl: string): Promise<Instance> {
  let log = ''
  // Its own process group, so that killing it kills tsx and the server together.
  const server = ['node_modules/.bin/tsx', '--import', './scripts/node/register.mjs', 'server.ts']
  const [command, ...args] = split ? ['setpriv', '--reuid=quai', '--regid=quai', '--init-groups', '--no-new-privs', ...server] : server
  const child = spawn(command!, args, {
    env: {
      ...process.env,
      ...(split ? { HOME: '/nonexistent', QUAI_AGENT_SOCKET: agentSocket, QUAI_AGENT_KEY_FILE: agentKey } : {}),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      QUAI_URL: appUrl,
      DATABASE_URL: databaseUrl,
      QUAI_CONTENT_DIR: 'tests/fixtures/content',
      QUAI_AUTH_RATE_LIMIT: 'off',
      // One namespace for both: they are one installation (each reconciles what the database knows).
      QUAI_SANDBOX_NAMESPACE: namespace,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const deadline = Date.now() + 120_000
  while (!/Quai is ready on/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`instance ${name} did not start:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return { name, port, process: child, log: () => log }
}

function kill(instance: Instance, signal: NodeJS.Signals) {
  if (instance.process.pid && instance.process.exitCode === null && instance.process.signalCode === null) {
    try {
      process.kill(-instance.process.pid, signal)
    } catch {
      // already gone
    }
  }
}

test('a terminal opened through instance A survives A being killed; a check through B sees the sandbox A created', async ({ browser }) => {
  test.setTimeout(240_000)
  fs.rmSync(state, { recursive: true, force: true })
  fs.mkdirSync(state, { recursive: true })
  if (split) execFileSync('chown', ['quai:quai', state])
  const [portA, portB] = await Promise.all([freePort(), freePort()])
  const postgres = postgresAdminUrl ? await createPostgresDatabase('e2e_instances') : null
  const databaseUrl = postgres?.url ?? `file:./${state}/quai.db`
  console.log(`web instances: database ${postgres ? 'PostgreSQL' : 'SQLite'}`)
  let balancer: Balancer | null = null
  const instances: Instance[] = []
  try {
    // The balancer first, so that both instances know Quai's address (the origin they check).
    balancer = await startBalancer([
      { name: 'A', port: portA },
      { name: 'B', port: portB },
    ])
    const appUrl = `http://127.0.0.1:${balancer.port}`
    if (split) {
      const agent = startAgent()
      instances.push(agent)
      await expect.poll(() => fs.existsSync(agentSocket) || agent.process.exitCode !== null, { timeout: 60_000 }).toBe(true)
      expect(agent.process.exitCode, agent.log()).toBeNull()
    }
    // One after the other: the first migrates the database, the second finds it done.
    instances.push(await startInstance('A', portA, appUrl, databaseUrl))
    instances.push(await startInstance('B', portB, appUrl, databaseUrl))
    const a = instances.find((instance) => instance.name === 'A')!

    const context = await browser.newContext({ baseURL: appUrl })
    const page = await context.newPage()
    try {
      // Round-robin with both alive: the account made through one instance is signed in on the other.
      await signUp(page)
      expect(new Set(balancer.served.map((s) => s.upstream))).toEqual(new Set(['A', 'B']))

      // The lab through A: the sandbox is created there and the terminal attaches there.
      balancer.pin('A')
      const servedBefore = balancer.served.length
      const { terminal } = await openLab(page)
      const throughA = balancer.served.slice(servedBefore)
      const isTerminal = (s: { upgrade: boolean; path: string }) => s.upgrade && /^\/api\/sandboxes\/[^/]+\/terminal/.test(s.path)
      expect(throughA.filter(isTerminal).length).toBeGreaterThan(0)
      expect(throughA.filter(isTerminal).every((s) => s.upstream === 'A')).toBe(true)
      expect(throughA.some((s) => s.method === 'POST' && s.path === '/api/sandboxes' && s.upstream === 'A')).toBe(true)

      const rows = terminal.locator('.xterm-rows > div')
      const marker = `m${Date.now().toString(36)}`
      await terminal.locator('.xterm').click()
      await page.keyboard.type(`QUAI_MARK=${marker}; echo "before-$QUAI_MARK"\n`)
      await expect(rows.filter({ hasText: new RegExp(`^before-${marker}\\s*$`) })).toBeVisible({ timeout: 30_000 })

      // Watch the terminal's state in the page: when it left "open" and when it came back.
      await watchTerminalStates(terminal)

      // A dies without a word. From now on only B answers.
      balancer.pin(null)
      const servedAtKill = balancer.served.length
      const killedAt = Date.now()
      kill(a, 'SIGKILL')
      await expect(async () => {
        const states = await terminalStates(page)
        expect(states.some((s) => s.state !== 'open')).toBe(true)
        expect(states.at(-1)?.state).toBe('open')
      }).toPass({ timeout: 30_000, intervals: [50] })
      const states = await terminalStates(page)
      const reconnectMs = states.at(-1)!.at - killedAt
      console.log(`web instances: terminal states after SIGKILL of A: ${states.map((s) => `${s.state}@+${s.at - killedAt}ms`).join(', ')}`)
      console.log(`web instances: terminal reconnected through B in ${reconnectMs} ms`)
      const reconnects = balancer.served.slice(servedAtKill).filter(isTerminal)
      expect(reconnects.length).toBeGreaterThan(0)
      expect(reconnects.every((s) => s.upstream === 'B')).toBe(true)

      // The same shell: its variable is still set, and the earlier output is still on screen.
      await terminal.locator('.xterm').click()
      await page.keyboard.type('echo "after-$QUAI_MARK"\n')
      await expect(rows.filter({ hasText: new RegExp(`^after-${marker}\\s*$`) })).toBeVisible({ timeout: 30_000 })
      await expect(rows.filter({ hasText: new RegExp(`^before-${marker}\\s*$`) })).toBeVisible()

      // A check through B, on the sandbox A created: it reads the sandbox (a failed assertion is an answer).
      const panel = page.getByRole('region', { name: 'Exercices' }).last()
      const servedBeforeCheck = balancer.served.length
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/exercises/check'),
        panel.getByRole('button', { name: 'Vérifier' }).click(),
      ])
      expect(answer.status()).toBe(200)
      const { result } = checkResponseSchema.parse(await answer.json())
      expect(result.totalCount).toBeGreaterThan(0)
      expect(result.passed).toBe(false)
      await expect(panel.locator('[data-assertion="network:demo-net:exists"]')).toHaveAttribute('data-state', 'failed')
      const check = balancer.served.slice(servedBeforeCheck).find((s) => s.method === 'POST' && s.path === '/api/exercises/check')
      expect(check?.upstream).toBe('B')

      // The issue's expectation, asserted only as a generous functional bound here (this machine
      // is shared and loaded): the measured time is printed above.
      expect(reconnectMs).toBeLessThan(10_000)
    } finally {
      await stopLabSandbox(page)
      await context.close()
    }
  } finally {
    for (const instance of instances) kill(instance, 'SIGTERM')
    await balancer?.close()
    await postgres?.drop()
  }
})
