import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CheckError } from '../../../lib/checks/errors'
import type { SandboxAccess } from '../../../lib/checks/exercise.server'
import type { LiveEvent } from '../../../lib/checks/live.server'
import { renderAssertion } from '../../../lib/checks/render'
import type { Db } from '../../../lib/db/client.server'
import { migrateDatabase } from '../../../lib/db/migrate'
import { dockerClientForSocket, type DockerDaemon } from '../../../lib/docker/client.server'
import { createUser, freshClient } from '../../support/progress-suite'
import { BUSYBOX, createLab, docker, ensureBusybox, startTestNode, type Lab, type TestNode } from './support'

// Live mode and the check path end to end, with the host daemon as the sandbox's only node:
// events from the real daemon drive re-checks; results and attempts land in a real database.
// The exercise (tests/integration/checks/fixtures/content) names qck-live-net and qck-live-web.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-live-'))
const url = `file:${path.join(dir, 'quai.db')}`
let db: Db
let lab: Lab
let userId: string
let live: typeof import('../../../lib/checks/live.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- imported after the environment is set
let exercises: typeof import('../../../lib/checks/exercise.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- same

const removeFixed = () => docker('rm', '-f', 'qck-live-web').catch(() => '').then(() => docker('network', 'rm', 'qck-live-net').catch(() => ''))

function accessFor(owner: string, target: () => Lab['target']): SandboxAccess {
  return {
    async requireRunning(user, sandboxId) {
      if (sandboxId !== 'host-sandbox') throw new CheckError('sandbox_not_running', 'no such sandbox')
      if (user !== owner) throw new CheckError('sandbox_forbidden', 'not your sandbox')
      return { nodes: ['node1'] }
    },
    async target() {
      return target()
    },
  }
}

/** Collects a subscriber's events and waits for one that matches. */
function collector() {
  const events: LiveEvent[] = []
  const waiters: { match: (e: LiveEvent) => boolean; resolve: (e: LiveEvent) => void }[] = []
  let closed = false
  return {
    events,
    get closed() {
      return closed
    },
    send(event: LiveEvent) {
      events.push(event)
      for (const w of [...waiters]) {
        if (!w.match(event)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(event)
      }
    },
    close() {
      closed = true
    },
    next(match: (e: LiveEvent) => boolean, timeoutMs = 8000): Promise<LiveEvent> {
      const seen = events.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching live event in ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`)), timeoutMs)
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer)
            resolve(e)
          },
        })
      })
    },
    clear() {
      events.splice(0)
    },
  }
}

/**
 * A client of a test node's daemon that counts the event streams it opens and what /_ping
 * answered. With `idleTimeoutMs`, dockerode cuts any request idle for that long, the events
 * stream included: the same mechanism as lib/docker's inner-daemon clients (30 s there).
 */
function watchedClient(socketPath: string, idleTimeoutMs?: number) {
  const daemon = dockerClientForSocket(socketPath, idleTimeoutMs ? { idleTimeoutMs } : {})
  const seen = { eventStreams: 0, pings: [] as boolean[] }
  const client: DockerDaemon = Object.create(daemon) as DockerDaemon
  client.events = (signal) => {
    seen.eventStreams++
    return daemon.events(signal)
  }
  client.ping = async (timeoutMs) => {
    const answer = await daemon.ping(timeoutMs)
    seen.pings.push(answer)
    return answer
  }
  return { client, seen }
}

/** Reads a live route's body as the browser does: events, keep-alive comments, and whether it ended. */
function readSse(body: ReadableStream<Uint8Array>) {
  const c = collector()
  const state = { keepAlives: 0, done: false }
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const finished = (async () => {
    let text = ''
    for (;;) {
      const next = await reader.read().catch(() => ({ done: true as const, value: undefined }))
      if (next.done) break
      text += decoder.decode(next.value, { stream: true })
      let end: number
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end)
        text = text.slice(end + 2)
        if (block.startsWith(':')) state.keepAlives++
        const data = block.split('\n').find((line) => line.startsWith('data: '))
        if (data) c.send(JSON.parse(data.slice(6)) as LiveEvent)
      }
    }
    state.done = true
  })()
  return { ...c, state, finished, stop: () => reader.cancel().catch(() => undefined) }
}

/** Resolves when `ready()` holds; rejects when the stream ends first (with what it said last) or after timeoutMs. */
async function until(ready: () => boolean, sse: ReturnType<typeof readSse>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ready()) {
    if (sse.state.done) throw new Error(`the stream ended: ${JSON.stringify(sse.events.filter((e) => e.type === 'status').at(-1))}`)
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = path.join(import.meta.dirname, 'fixtures', 'content')
  process.env.DATABASE_URL = url
  await migrateDatabase(url)
  db = await freshClient()
  userId = await createUser(db)
  await ensureBusybox()
  lab = await createLab('live')
  await removeFixed()
  live = await import('../../../lib/checks/live.server')
  exercises = await import('../../../lib/checks/exercise.server')
})

afterAll(async () => {
  await removeFixed()
  await lab?.cleanup()
  await db?.$disconnect()
  fs.rmSync(dir, { recursive: true, force: true })
})

const who = (exerciseId: string) => ({ userId, courseSlug: 'checks-lab', lessonSlug: 'live', exerciseId })

describe('live mode', () => {
  test('re-checks on daemon events, records changed complete results, and redraws the diagram', async () => {
    const c = collector()
    const unsubscribe = await live.subscribeLive('host-sandbox', { ...who('network-and-member'), send: (e) => c.send(e), close: () => c.close() }, accessFor(userId, () => lab.target))
    try {
      const first = (await c.next((e) => e.type === 'result')) as Extract<LiveEvent, { type: 'result' }>
      expect(first.result.passed).toBe(false)
      expect(first.partial).toBe(false)
      expect(first.attempt).toMatchObject({ passed: false })
      await c.next((e) => e.type === 'snapshot')

      c.clear()
      await docker('network', 'create', 'qck-live-net')
      const done = Date.now()
      await docker('run', '-d', '--name', 'qck-live-web', '--network', 'qck-live-net', BUSYBOX, 'sleep', '600')
      const passed = (await c.next((e) => e.type === 'result' && e.result.passed)) as Extract<LiveEvent, { type: 'result' }>
      const latency = Date.now() - done
      expect(passed.attempt).toMatchObject({ passed: true, completed: true, firstCompletion: true })
      const snapshot = (await c.next((e) => e.type === 'snapshot' && e.snapshot.containers.some((x) => x.name === 'qck-live-web' && x.state === 'running'))) as Extract<LiveEvent, { type: 'snapshot' }>
      expect(snapshot.snapshot.containers.find((x) => x.name === 'qck-live-web')).toMatchObject({ state: 'running', networks: ['qck-live-net'] })
      expect(snapshot.snapshot.networks.some((n) => n.name === 'qck-live-net' && !n.builtin)).toBe(true)

      // The same outcome seen again is not stored again.
      const storedBefore = await db.exerciseAttempt.count({ where: { userId, exerciseId: 'network-and-member' } })
      c.clear()
      await docker('network', 'create', lab.n('unrelated'))
      await c.next((e) => e.type === 'snapshot' && e.snapshot.networks.some((n) => n.name === lab.n('unrelated')))
      const again = (await c.next((e) => e.type === 'result')) as Extract<LiveEvent, { type: 'result' }>
      expect(again.result.passed).toBe(true)
      expect(again.attempt).toBeNull()
      const stored = await db.exerciseAttempt.findMany({ where: { userId, exerciseId: 'network-and-member' }, orderBy: { createdAt: 'asc' } })
      expect(stored).toHaveLength(storedBefore)
      // Fresh sandbox, then (when the network event is checked before the container exists) the
      // half-done state, then the pass: each a different outcome, each stored once.
      const outcomes = stored.map((a) => [a.trigger, a.passed])
      expect(outcomes[0]).toEqual(['live', false])
      expect(outcomes.at(-1)).toEqual(['live', true])
      expect(outcomes.filter(([, passed]) => passed)).toHaveLength(1)
      expect(outcomes.length).toBeLessThanOrEqual(3)
      console.log(`live: from \`docker run\` to a passing result: ${latency} ms`)
    } finally {
      unsubscribe()
    }
  })

  test('a file saved through another server instance re-checks: the nudge goes through the database', async () => {
    const { publishLiveNudge } = await import('../../../lib/checks/live-nudge.server')
    // The host daemon is shared with whatever else runs on this machine: its events would re-check
    // too. This hub hears none (an event stream that stays silent until the hub stops), so only the nudge can.
    const quiet: DockerDaemon = Object.create(lab.target.docker) as DockerDaemon
    quiet.events = async (signal) => {
      const silent = new PassThrough()
      signal.addEventListener('abort', () => silent.end())
      return silent
    }
    const c = collector()
    const unsubscribe = await live.subscribeLive('host-sandbox', { ...who('network-and-member'), send: (e) => c.send(e), close: () => c.close() }, accessFor(userId, () => ({ ...lab.target, docker: quiet })))
    try {
      await c.next((e) => e.type === 'result')
      await c.next((e) => e.type === 'status' && e.state === 'watching')
      await new Promise((resolve) => setTimeout(resolve, 2 * live.LIVE_MAX_DELAY_MS))
      c.clear()
      // What saveLessonFile does in another instance: a database write; this process's hub is not told.
      const saved = Date.now()
      await publishLiveNudge('host-sandbox')
      await c.next((e) => e.type === 'status' && e.state === 'checking', 5000)
      await c.next((e) => e.type === 'result', 5000)
      console.log(`live: from a nudge published in the database to a re-check: ${Date.now() - saved} ms`)
    } finally {
      unsubscribe()
    }
  })

  test('command checks wait for the button in live mode; the result is shown, not stored', async () => {
    const c = collector()
    const unsubscribe = await live.subscribeLive('host-sandbox', { ...who('with-command'), send: (e) => c.send(e), close: () => c.close() }, accessFor(userId, () => lab.target))
    try {
      const result = (await c.next((e) => e.type === 'result')) as Extract<LiveEvent, { type: 'result' }>
      expect(result.partial).toBe(true)
      expect(result.attempt).toBeNull()
      expect(result.result.assertions.map((a) => [a.id, a.passed, !!a.pending])).toEqual([
        ['network:qck-live-net:exists', true, false],
        ['command:1', false, true],
      ])
      expect(renderAssertion(result.result.assertions[1]!)).toBe('the daemon answers : vérifié quand vous cliquez sur « Vérifier » (cette vérification exécute une commande)')
    } finally {
      unsubscribe()
    }
  })

  test('another learner cannot watch the sandbox; an unknown exercise is refused', async () => {
    const other = await createUser(db)
    const c = collector()
    await expect(live.subscribeLive('host-sandbox', { ...who('network-and-member'), userId: other, send: c.send, close: c.close }, accessFor(userId, () => lab.target))).rejects.toMatchObject({ code: 'sandbox_forbidden' })
    await expect(live.subscribeLive('host-sandbox', { ...who('nope'), send: c.send, close: c.close }, accessFor(userId, () => lab.target))).rejects.toMatchObject({ code: 'unknown_exercise' })
  })

  test('a daemon that goes away ends the stream with a clear status', async () => {
    // A socket proxy in front of the host daemon, so that "the daemon" can vanish.
    const sock = path.join(lab.workdir, 'proxy.sock')
    const sockets = new Set<net.Socket>()
    const server = net.createServer((client) => {
      const upstream = net.connect('/var/run/docker.sock')
      sockets.add(client).add(upstream)
      client.pipe(upstream).pipe(client)
      const drop = () => (client.destroy(), upstream.destroy())
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
    })
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    const proxied = { ...lab.target, docker: dockerClientForSocket(sock) }
    const c = collector()
    const unsubscribe = await live.subscribeLive('host-sandbox', { ...who('network-and-member'), send: (e) => c.send(e), close: () => c.close() }, accessFor(userId, () => proxied))
    try {
      await c.next((e) => e.type === 'result')
      server.close()
      for (const s of sockets) s.destroy()
      const ended = await c.next((e) => e.type === 'status' && e.state === 'ended')
      expect(ended).toMatchObject({ code: 'daemon_unavailable', message: 'the Docker daemon of node node1 cannot be reached; the sandbox may have stopped' })
      expect(c.closed).toBe(true)
    } finally {
      unsubscribe()
    }
  })
})

describe('live mode on a sandbox node where nothing happens', () => {
  // A real Docker-in-Docker node from Quai's sandbox image: its own daemon, which sends no
  // event unless the test does something (the host's daemon is busy with other tests).
  let node: TestNode
  beforeAll(async () => {
    node = await startTestNode(lab, 'quiet')
  }, 180_000)

  test('the stream stays open through many quiet periods, with keep-alives, and still follows the daemon', async () => {
    // Production's quiet period is the 30 s idle timeout of the inner-daemon client; 1.5 s here.
    const quietMs = 1500
    const { client, seen } = watchedClient(node.socket, quietMs)
    const target = { ...node.target, docker: client }
    const abort = new AbortController()
    const body = await live.liveEventStream('host-sandbox', who('network-and-member'), accessFor(userId, () => target), abort.signal, { heartbeatMs: 500 })
    const sse = readSse(body)
    try {
      await sse.next((e) => e.type === 'result')
      // Nothing happens on the node: the events request is cut each time it has been idle for
      // quietMs. Five streams opened means four cuts, each answered by a probe, not by an end.
      await until(() => seen.eventStreams >= 5, sse, 90_000)
      expect(sse.events.filter((e) => e.type === 'status' && e.state === 'ended')).toEqual([])
      expect(sse.state.done).toBe(false)
      expect(seen.pings.length).toBeGreaterThanOrEqual(4)
      expect(seen.pings.every(Boolean)).toBe(true)
      // Four idle cuts took at least 6 s: a dozen keep-alives went out meanwhile.
      expect(sse.state.keepAlives).toBeGreaterThanOrEqual(6)

      // The stream followed again is a live one: a change on the node shows.
      sse.clear()
      await node.sh('docker network create qck-live-net')
      await sse.next((e) => e.type === 'snapshot' && e.snapshot.networks.some((n) => n.name === 'qck-live-net'), 30_000)
      expect(sse.state.done).toBe(false)
    } finally {
      abort.abort()
      await sse.stop()
    }
  })

  test('a node whose daemon is killed: the health probe finds nobody, and the stream ends with daemon_unavailable', async () => {
    const { client, seen } = watchedClient(node.socket)
    const target = { ...node.target, docker: client }
    const c = collector()
    const unsubscribe = await live.subscribeLive('host-sandbox', { ...who('network-and-member'), send: (e) => c.send(e), close: () => c.close() }, accessFor(userId, () => target))
    try {
      await c.next((e) => e.type === 'result')
      expect(seen.pings).toEqual([])
      // dockerd is the node's first process: killing the node kills its daemon.
      await docker('kill', node.container)
      const ended = await c.next((e) => e.type === 'status' && e.state === 'ended', 60_000)
      expect(ended).toMatchObject({ code: 'daemon_unavailable', message: 'the Docker daemon of node node1 cannot be reached; the sandbox may have stopped' })
      expect(seen.pings.length).toBeGreaterThan(0)
      expect(seen.pings.some(Boolean)).toBe(false)
      expect(c.closed).toBe(true)
    } finally {
      unsubscribe()
    }
  })
})

describe('the check path', () => {
  test('checkExercise reads the sandbox and records a manual attempt', async () => {
    const outcome = await exercises.checkExercise({ ...who('network-and-member'), sandboxId: 'host-sandbox', trigger: 'manual' }, accessFor(userId, () => lab.target))
    expect(outcome.result.passed).toBe(true)
    expect(outcome.attempt).toMatchObject({ passed: true, completed: true, firstCompletion: false })
    const last = await db.exerciseAttempt.findFirstOrThrow({ where: { userId }, orderBy: { createdAt: 'desc' } })
    expect(last.trigger).toBe('manual')
  })

  test('unknown exercise, foreign sandbox, stopped sandbox: clear errors, nothing stored', async () => {
    const before = await db.exerciseAttempt.count()
    const run = (over: Partial<Parameters<typeof exercises.checkExercise>[0]>) =>
      exercises.checkExercise({ ...who('network-and-member'), sandboxId: 'host-sandbox', trigger: 'manual', ...over }, accessFor(userId, () => lab.target)).catch((e: CheckError) => e.code)
    expect(await run({ exerciseId: 'nope' })).toBe('unknown_exercise')
    expect(await run({ userId: 'someone-else' })).toBe('sandbox_forbidden')
    expect(await run({ sandboxId: 'stopped' })).toBe('sandbox_not_running')
    expect(await db.exerciseAttempt.count()).toBe(before)
  })
})
