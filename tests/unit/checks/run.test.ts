import { PassThrough } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { CheckTimeoutError, DaemonUnavailableError } from '../../../lib/checks/errors'
import { checkSchema, type Check } from '../../../lib/content/check-kinds'
import { runChecks } from '../../../lib/checks/run.server'
import type { CheckTarget } from '../../../lib/checks/target'
import { dockerDaemonForTests, type DockerDaemon } from '../../../lib/docker/client.server'
import { raw } from './helpers'

// The engine with a stand-in daemon: what it asks for, how it stops at the budget, and how
// it reports a daemon that disappears. The real daemon is exercised in tests/integration.

const checks = (...defs: Record<string, unknown>[]): Check[] => defs.map((d) => checkSchema.parse(d))

type Calls = string[]

/**
 * A daemon that answers as the Engine API does, through dockerode's modem (the checks read
 * every answer that way, lib/docker/daemon-read.server.ts): test-server and tp-network exist,
 * other containers are 404, the container list is empty.
 */
function fakeDocker(calls: Calls, behaviour: { hang?: boolean; gone?: boolean } = {}): DockerDaemon {
  const routes: [RegExp, string, () => { status: number; body: unknown }][] = [
    [/^\/containers\/json/, 'list containers', () => ({ status: 200, body: [] })],
    [/^\/containers\/([^/]+)\/json/, 'inspect container', () => ({ status: 404, body: { message: 'No such container' } })],
    [/^\/networks\/([^/?]+)/, 'inspect network', () => ({ status: 200, body: raw('network-tp-network') })],
  ]
  const dial = (options: { path: string }, callback: (error: unknown, res?: PassThrough & { statusCode: number }) => void) => {
    const path = options.path.replace(/\?$/, '')
    const route = routes.find(([pattern]) => pattern.test(path))
    const name = route ? decodeURIComponent(route[0].exec(path)?.[1] ?? '') : ''
    calls.push(route ? `${route[1]}${name ? ` ${name}` : ''}` : `GET ${path}`)
    if (behaviour.gone) return callback(Object.assign(new Error('connect ENOENT /run/quai/x/docker.sock'), { code: 'ENOENT' }))
    if (behaviour.hang) return
    const answer = route?.[1] === 'inspect container' && name === 'test-server' ? { status: 200, body: raw('container-test-server') } : (route?.[2]() ?? { status: 404, body: {} })
    const res = Object.assign(new PassThrough(), { statusCode: answer.status })
    callback(null, res)
    res.end(JSON.stringify(answer.body))
  }
  return dockerDaemonForTests({ modem: { dial } })
}

const target = (docker: DockerDaemon, exec?: CheckTarget['exec']): CheckTarget => ({
  node: 'node1',
  docker,
  exec: exec ?? (async () => ({ exitCode: 0, stdout: '', stderr: '' })),
})

describe('runChecks', () => {
  test('a typical exercise reads each object once, in parallel, and passes', async () => {
    const calls: Calls = []
    const result = await runChecks(
      checks(
        { kind: 'network', name: 'tp-network', driver: 'bridge', members: ['test-server'] },
        { kind: 'container', name: 'test-server', running: true, networks: ['tp-network'] },
      ),
      () => target(fakeDocker(calls)),
      { defaultNode: 'node1', timeoutSeconds: 5 },
    )
    expect(calls.sort()).toEqual(['inspect container test-server', 'inspect network tp-network'])
    expect(result).toMatchObject({ passed: true, passedCount: 6, totalCount: 6, ranCommands: false })
  })

  test('a missing container costs one more call, to suggest near misses', async () => {
    const calls: Calls = []
    const result = await runChecks(checks({ kind: 'container', name: 'test-servr', running: true }), () => target(fakeDocker(calls)), { defaultNode: 'node1', timeoutSeconds: 5 })
    expect(calls).toEqual(['inspect container test-servr', 'list containers'])
    expect(result).toMatchObject({ passed: false, passedCount: 0, totalCount: 2 })
  })

  test('the time budget stops a slow check and names what it was waiting for', async () => {
    const started = Date.now()
    const error = await runChecks(checks({ kind: 'network', name: 'tp-network' }, { kind: 'script', label: 'slow', run: 'sleep 60' }), () =>
      target(fakeDocker([], { hang: true }), () => new Promise(() => {})), { defaultNode: 'node1', timeoutSeconds: 1 }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(error).toBeInstanceOf(CheckTimeoutError)
    expect((error as CheckTimeoutError).message).toMatch(/1 s budget/)
    expect((error as CheckTimeoutError).pending).toEqual(expect.arrayContaining(['network tp-network', 'command sleep 60']))
  })

  test('a daemon that is gone gives DaemonUnavailableError naming the node, never a partial result', async () => {
    const error = await runChecks(checks({ kind: 'container', name: 'test-server' }), () => target(fakeDocker([], { gone: true })), { defaultNode: 'node1', timeoutSeconds: 5 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DaemonUnavailableError)
    expect((error as DaemonUnavailableError).node).toBe('node1')
  })

  test('a node whose shell cannot start is reported as unavailable too', async () => {
    const error = await runChecks(checks({ kind: 'file', path: 'compose.yaml' }), () => target(fakeDocker([]), async () => { throw new Error('container not running') }), { defaultNode: 'node1', timeoutSeconds: 5 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DaemonUnavailableError)
  })

  test('checks go to their own node; command checks are flagged', async () => {
    const nodes: string[] = []
    const result = await runChecks(checks({ kind: 'command', run: 'true', node: 'worker1' }, { kind: 'network', name: 'tp-network' }), (node) => {
      nodes.push(node)
      return target(fakeDocker([]))
    }, { defaultNode: 'manager', timeoutSeconds: 5 })
    expect(nodes.sort()).toEqual(['manager', 'worker1'])
    expect(result.ranCommands).toBe(true)
  })
})
