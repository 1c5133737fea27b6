import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkSchema } from '../../../lib/content/check-kinds'
import { reachCommand } from '../../../lib/checks/probes'
import { runChecks } from '../../../lib/checks/run.server'
import { createLab, docker, type Lab } from './support'

// The reach probe with the real nc of a lesson image (netshoot: Debian's OpenBSD netcat,
// whose help indents -z with a tab) against a real PostgreSQL, which keeps a connection
// open: without -z, nc waits for its 3 s timeout before the check can answer.

const NETSHOOT = 'quai/lesson-netshoot:latest'
const POSTGRES = 'quai/lesson-postgres:latest'

let lab: Lab
beforeAll(async () => {
  lab = await createLab('reach')
  await docker('network', 'create', lab.n('net'))
  await docker('run', '-d', '--name', lab.n('db'), '--network-alias', 'db', '--network', lab.n('net'), '-e', 'POSTGRES_PASSWORD=secret', POSTGRES)
  await docker('run', '-d', '--name', lab.n('client'), '--network', lab.n('net'), NETSHOOT, 'sleep', '600')
  for (let i = 0; i < 120; i++) {
    const r = await docker('exec', lab.n('db'), 'sh', '-c', 'pg_isready -h 127.0.0.1 -q && echo up || echo down').catch(() => 'down')
    if (r === 'up') return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('PostgreSQL did not start')
}, 120_000)
afterAll(() => lab?.cleanup())

describe('reach probe against PostgreSQL from netshoot', () => {
  test('nc takes the -z path (connect and quit) and answers well under its 3 s timeout', async () => {
    const [, , script, ...args] = reachCommand('db', 5432)
    const t0 = performance.now()
    // -x traces what the probe runs: the line with "nc -z" shows which branch was taken
    const out = await docker('exec', lab.n('client'), 'sh', '-c', `exec 2>&1; set -x\n${script}`, ...args)
    const elapsed = performance.now() - t0
    expect(out).toMatch(/ok nc/)
    expect(out).toMatch(/nc -z -w 3 db 5432/)
    expect(elapsed).toBeLessThan(2000)
  }, 30_000)

  test('a reach check against PostgreSQL takes well under a second', async () => {
    const checks = [checkSchema.parse({ kind: 'reach', from: lab.n('client'), host: 'db', port: 5432 })]
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      const r = await runChecks(checks, () => lab.target, { defaultNode: 'node1', timeoutSeconds: 15 })
      times.push(performance.now() - t0)
      expect(r.passed).toBe(true)
    }
    times.sort((a, b) => a - b)
    console.log(`reach check against PostgreSQL (5 runs, ms): ${times.map((t) => t.toFixed(0)).join(' ')}`)
    expect(times[2]).toBeLessThan(1000)
  }, 60_000)
})
