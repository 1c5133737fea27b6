import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CheckError } from '../../../lib/checks/errors'
import type { LiveEvent } from '../../../lib/checks/live.server'
import { checkSchema } from '../../../lib/content/check-kinds'
import { lessonWorkdir } from '../../../lib/content/paths'
import { renderAssertion } from '../../../lib/checks/render'
import { runChecks } from '../../../lib/checks/run.server'
import { getDb } from '../../../lib/db/client.server'
import { execInNode, nodeExecTarget } from '../../../lib/sandbox/node-access.server'
import { openSandbox, stopSandbox } from '../../../lib/sandbox/sandboxes.server'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'
import { docker } from './support'

// The check path on real sandboxes opened through lib/sandbox: ownership, the node's own
// daemon, commands as the learner in the lesson's folder, live mode, and a node that dies.

process.env.QUAI_CONTENT_DIR = path.join(import.meta.dirname, 'fixtures', 'content')
withTestNamespace('checks')

const lesson = { courseSlug: 'checks-lab', lessonSlug: 'live' }
let sandboxId = ''
let access: ReturnType<typeof import('../../../lib/checks/check-targets.server').getSandboxAccess> // eslint-disable-line @typescript-eslint/consistent-type-imports -- imported after the environment is set
let checks: typeof import('../../../lib/checks/exercise.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- same
let live: typeof import('../../../lib/checks/live.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- same

const sh = async (script: string) => {
  const r = await execInNode(sandboxId, 'node1', ['bash', '-c', script], { timeoutMs: 120_000 })
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout
}
const check = (userId = 'chk-ada', over: Record<string, string> = {}) =>
  checks.checkExercise({ userId, sandboxId, ...lesson, exerciseId: 'network-and-member', trigger: 'manual', ...over }, access)

beforeAll(async () => {
  await createUser('chk-ada')
  await createUser('chk-bob')
  access = (await import('../../../lib/checks/check-targets.server')).getSandboxAccess()
  checks = await import('../../../lib/checks/exercise.server')
  live = await import('../../../lib/checks/live.server')
  sandboxId = (await openSandbox('chk-ada', { lessonKey: 'checks-lab/live' })).id
  await sh('mkdir -p /root/lab/live')
}, 300_000)

afterAll(() => cleanUpNamespace(), 120_000)

describe.sequential('checks on a real sandbox', () => {
  test('fails, then passes once the learner has done the work; speed through the whole path', async () => {
    const before = await check()
    expect(before.result.passed).toBe(false)
    expect(renderAssertion(before.result.assertions[0]!)).toBe('aucun réseau nommé qck-live-net')
    await sh('docker network create qck-live-net && docker run -d --name qck-live-web --network qck-live-net busybox sleep 3600')
    const after = await check()
    expect(after.result.assertions.filter((a) => !a.passed)).toEqual([])
    expect(after.attempt).toMatchObject({ passed: true, completed: true })

    const times: number[] = []
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now()
      await check()
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    console.log(`checkExercise on a real sandbox (ownership, reads, record): p50 ${times[15]!.toFixed(1)} ms, p95 ${times[28]!.toFixed(1)} ms`)
  })

  test('commands and files run as the learner, in the lesson folder', async () => {
    await sh("cd /root/lab/live && printf 'services:\\n  web:\\n    image: nginx\\n' > compose.yaml")
    const result = await runChecks(
      [
        { kind: 'file', path: 'compose.yaml', parse: 'yaml', keys: ['services.web.image'] },
        { kind: 'command', run: 'pwd; docker ps --format "{{.Names}}"', stdout: { matches: '^/root/lab/live$[\\s\\S]*qck-live-web' } },
      ].map((c) => checkSchema.parse(c)),
      (node) => access.target(sandboxId, node, lessonWorkdir('live')),
      { defaultNode: 'node1', timeoutSeconds: 20 },
    )
    expect(result.assertions.filter((a) => !a.passed).map((a) => renderAssertion(a))).toEqual([])
  })

  test('another learner gets 403, an unknown exercise 404; nothing is recorded', async () => {
    const db = await getDb()
    const before = await db.exerciseAttempt.count()
    expect(await check('chk-bob').catch((e: CheckError) => e.code)).toBe('sandbox_forbidden')
    expect(await check('chk-ada', { exerciseId: 'nope' }).catch((e: CheckError) => e.code)).toBe('unknown_exercise')
    await expect(live.subscribeLive(sandboxId, { userId: 'chk-bob', ...lesson, exerciseId: 'network-and-member', send: () => {}, close: () => {} }, access)).rejects.toMatchObject({ code: 'sandbox_forbidden' })
    expect(await db.exerciseAttempt.count()).toBe(before)
  })

  test('live mode follows the sandbox daemon', async () => {
    const events: LiveEvent[] = []
    const unsubscribe = await live.subscribeLive(sandboxId, { userId: 'chk-ada', ...lesson, exerciseId: 'network-and-member', send: (e) => events.push(e), close: () => {} }, access)
    try {
      const waitFor = async (match: (e: LiveEvent) => boolean) => {
        for (let i = 0; i < 100 && !events.some(match); i++) await new Promise((r) => setTimeout(r, 100))
        return events.find(match)
      }
      expect(await waitFor((e) => e.type === 'result' && e.result.passed)).toBeTruthy()
      events.splice(0)
      const t0 = Date.now()
      await sh('docker rm -f qck-live-web')
      const failed = await waitFor((e) => e.type === 'result' && !e.result.passed)
      expect(failed).toBeTruthy()
      console.log(`live on a real sandbox: docker rm → failing checklist in ${Date.now() - t0} ms`)
      const snapshot = (await waitFor((e) => e.type === 'snapshot' && !e.snapshot.containers.some((c) => c.name === 'qck-live-web'))) as Extract<LiveEvent, { type: 'snapshot' }>
      expect(snapshot.snapshot.networks.some((n) => n.name === 'qck-live-net')).toBe(true)
    } finally {
      unsubscribe()
    }
  })

  test('a node that dies during a check and before one: 503 daemon_unavailable, nothing recorded; a stopped sandbox: 409', async () => {
    const db = await getDb()
    const attempts = () => db.exerciseAttempt.count({ where: { userId: 'chk-ada' } })
    const recorded = await attempts()
    const { containerId } = await nodeExecTarget(sandboxId, 'node1')
    // Mid-check: the slow command is still running in the node when the node goes.
    const running = check('chk-ada', { exerciseId: 'slow-command' }).catch((e: CheckError) => e.code)
    await new Promise((r) => setTimeout(r, 1500))
    await docker('rm', '-f', containerId)
    // The check in flight meets its exec ending with the node: it says the daemon is gone, or,
    // when the node is already seen gone (its container goes faster on a btrfs disk), that the
    // node died. Either way nothing is recorded.
    expect(['daemon_unavailable', 'sandbox_node_died']).toContain(await running)
    // The next check finds the daemon unreachable, or, once the node's death is recorded (by the
    // check in flight or the runtime's health tick) and the sandbox ended, the sandbox stopped.
    expect(['daemon_unavailable', 'sandbox_not_running']).toContain(await check().catch((e: CheckError) => e.code))
    expect(await attempts()).toBe(recorded)
    await stopSandbox('chk-ada', sandboxId).catch(() => undefined)
    expect(await check().catch((e: CheckError) => e.code)).toBe('sandbox_not_running')
  })
})
