import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { expect, test } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { signUp } from './support/accounts'
import { openLab, stopLabSandbox } from './support/lab'

// The server under test runs as production does (scripts/split/start.sh, issue 14): quai-web as
// an unprivileged user with no Docker socket, quai-agent as root behind a unix socket. These are
// facts about the processes themselves, read from /proc. The suite runs as root (it drives
// Docker); playwright.config.ts leaves this file out when QUAI_E2E_SPLIT=0 runs one process.

const port = Number(new URL(baseURL).port)

/** The pid of the process listening on a TCP port (ss needs root: the suite runs as root). */
function listenerPid(tcpPort: number): number {
  const line = execFileSync('ss', ['-ltnpH', `sport = :${tcpPort}`], { encoding: 'utf8' })
  const pid = /pid=(\d+)/.exec(line)?.[1]
  if (!pid) throw new Error(`nothing listens on port ${tcpPort}: ${line}`)
  return Number(pid)
}

const status = (pid: number) => Object.fromEntries(fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').map((l) => [l.split(':')[0], l.slice(l.indexOf(':') + 1).trim()]))

test('quai-web runs as an unprivileged user with no capability and no way to the Docker socket; the agent only on a unix socket', async () => {
  const web = status(listenerPid(port))
  const [uid] = (web.Uid ?? '').split(/\s+/).map(Number)
  expect(uid, 'the web process is not root').toBeGreaterThan(0)
  expect(web.CapEff, 'the web process holds no capability').toBe('0000000000000000')
  expect(web.NoNewPrivs, 'and cannot gain any').toBe('1')
  const dockerGroup = /^docker:x:(\d+):/m.exec(fs.readFileSync('/etc/group', 'utf8'))?.[1]
  if (dockerGroup) expect((web.Groups ?? '').split(/\s+/), 'not in the docker group').not.toContain(dockerGroup)
  // Its user cannot open the host's Docker socket.
  const probe = `require('net').connect('/var/run/docker.sock').on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(0) })`
  const reached = execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${(web.Gid ?? '').split(/\s+/)[0]}`, '--init-groups', 'node', '-e', probe], { encoding: 'utf8' }).trim()
  expect(reached).toBe('EACCES')
  // The agent is root and has no TCP listener: only its unix socket.
  const agents = execFileSync('pgrep', ['-f', 'agent.ts'], { encoding: 'utf8' }).trim().split('\n').map(Number)
  expect(agents.length).toBeGreaterThan(0)
  const tcpListeners = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
  for (const pid of agents) expect(tcpListeners, `agent ${pid} listens on no TCP port`).not.toContain(`pid=${pid},`)
})

test('from the learner\'s sandbox, no agent socket can be reached, and its docker is its own node\'s daemon', async ({ page }) => {
  test.setTimeout(180_000)
  await signUp(page)
  try {
    const { terminal } = await openLab(page)
    await terminal.locator('.xterm').click()
    // No agent socket in the node, and the `docker` the learner has is the node's own daemon, not the host's.
    await page.keyboard.type(`echo "agents=$(ls /run/quai/agent-*.sock /var/run/quai/agent-*.sock 2>/dev/null | wc -l) daemon=$(docker info --format '{{.Name}}')"\n`)
    const answer = terminal.locator('.xterm-rows > div', { hasText: /^agents=\d+ daemon=\S*\s*$/ })
    await expect(answer).toBeVisible({ timeout: 30_000 })
    expect((await answer.textContent())?.trim()).toBe('agents=0 daemon=node1')
  } finally {
    await stopLabSandbox(page)
  }
})
