// One learner cannot exhaust the server (security issue 11): each bound tried for real on the
// learner's sandbox. The terminal, file and live-check code runs in this test process (the real
// bridge, readers and hub, on the sandbox the server opened, found through the shared
// database), so that the server side's own buffers can be measured; the same refusals are then
// checked through the server's routes.
import type http from 'node:http'
import type { Readable } from 'node:stream'
import v8 from 'node:v8'
import vm from 'node:vm'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { LiveEvent } from '../../../lib/checks/live.server'
import { lessonWorkdir } from '../../../lib/content/paths'
import type { DockerDaemon } from '../../../lib/docker/client.server'
import { bridgeStats, sendBufferHighWater, sendBufferLimit } from '../../../lib/terminal/bridge.server'
import { CloseCode, decodeServerMessage, encodeAck, encodeInput, encodePing, MessageType } from '../../../lib/terminal/protocol'
import { sandboxApi } from '../../../lib/workspace/api'
import { fixtureContent, lesson, signUp, startBareBridge, TerminalProbe, terminalUrl, tryUpgrade, type Account } from './support'
import type { WorkspaceContext } from './terminal.suite'

const mib = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Buffer memory still referenced by this process (after a full collection, so garbage does not count). */
function liveBufferBytes(): number {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
  return process.memoryUsage().arrayBuffers
}

/** The lib modules, imported once the environment points at the server's database and content. */
async function serverSide(databaseUrl: string) {
  process.env.DATABASE_URL = databaseUrl
  process.env.QUAI_CONTENT_DIR = fixtureContent
  ;(globalThis as { quaiDb?: unknown }).quaiDb = undefined
  const access = await import('../../../lib/workspace/workspace-sandbox.server')
  const nodes = await import('../../../lib/sandbox/node-access.server')
  const db = await import('../../../lib/db/client.server')
  const files = await import('../../../lib/workspace/files.server')
  const archive = await import('../../../lib/docker/archive.server')
  const reads = await import('../../../lib/docker/reads.server')
  const daemonRead = await import('../../../lib/docker/daemon-read.server')
  const live = await import('../../../lib/checks/live.server')
  const checksAccess = await import('../../../lib/checks/check-targets.server')
  return { access, nodes, db, files, archive, reads, daemonRead, live, checksAccess }
}
type ServerSide = Awaited<ReturnType<typeof serverSide>>

/** The real bridge on the sandbox's node, in this process; `connections` gives the server-side sockets. */
async function bridgeServer(lib: ServerSide, sandboxId: string) {
  const target = await lib.access.nodeShellTarget(sandboxId, 'node1')
  const connections: { ws: WebSocket; sentOutput: number }[] = []
  const bridge = await startBareBridge(target, {
    session: (request) => new URL(request.url ?? '/', 'http://x').searchParams.get('session') ?? '9',
    autoPong: false,
    onSocket: (ws) => {
      const connection = { ws, sentOutput: 0 }
      connections.push(connection)
      // Counts the output payload the bridge hands to the socket: what an honest browser may acknowledge.
      const send = ws.send.bind(ws) as (data: Uint8Array, cb?: (error?: Error) => void) => void
      ;(ws as unknown as { send: typeof send }).send = (data, cb) => {
        if (data[0] === MessageType.output) connection.sentOutput += data.byteLength - 1
        send(data, cb)
      }
    },
  })
  const url = bridge.url
  return {
    connections,
    /** A raw client: resolves on "ready", collecting output until paused. */
    open: async (session: string) => {
      const client = new WebSocket(`${url}?session=${session}`)
      const state = { received: 0, text: '', closeCode: null as number | null, closeReason: '' }
      let ready = false
      client.on('message', (data: Buffer) => {
        const m = decodeServerMessage(data)
        if (!m.ok) return
        if (m.message.type === 'ready') ready = true
        if (m.message.type === 'output') {
          state.received += m.message.data.byteLength
          state.text = (state.text + Buffer.from(m.message.data).toString()).slice(-4000)
        }
      })
      client.on('close', (code, reason) => {
        state.closeCode = code
        state.closeReason = reason.toString()
      })
      for (let i = 0; i < 200 && !ready; i++) await sleep(100)
      if (!ready) throw new Error('the bridge did not get ready')
      return { client, state, server: connections.at(-1)! }
    },
    close: bridge.close,
  }
}

/** Runs a shell command in the learner's world of node1 (as the file panel does) and returns its output. */
async function inNode(lib: ServerSide, sandboxId: string, script: string): Promise<string> {
  const result = await lib.nodes.execInNode(sandboxId, 'node1', ['sh', '-c', script], { workingDir: lessonWorkdir(lesson.lesson), timeoutMs: 60_000 })
  if (result.exitCode !== 0) throw new Error(`${script}: exit ${result.exitCode}: ${result.stderr}`)
  return result.stdout
}

/** Reads a stream without keeping it: bytes, and the error it ended with. */
async function drain(stream: Readable): Promise<{ bytes: number; error: Error | null }> {
  let bytes = 0
  try {
    for await (const chunk of stream) bytes += (chunk as Buffer).length
    return { bytes, error: null }
  } catch (error) {
    return { bytes, error: error as Error }
  }
}

export function resourcesSuite(ctx: () => WorkspaceContext) {
  let lib: ServerSide
  /** The node's daemon as lib/docker reads it, and a client of our own that makes the test's volumes and networks. */
  let inner: DockerDaemon
  let fixtures: Docker
  const q = `course=${lesson.course}&lesson=${lesson.lesson}`
  const call = (account: Account | null, path: string, init: RequestInit = {}) =>
    fetch(`${ctx().server.url}${path}`, {
      ...init,
      headers: { ...(account ? { cookie: account.cookie } : {}), origin: ctx().server.url, ...(init.headers as Record<string, string>) },
    })

  describe('one learner cannot exhaust the server', () => {
    beforeAll(async () => {
      lib = await serverSide(ctx().server.databaseUrl)
      inner = await lib.nodes.innerDocker(ctx().sandboxId, 'node1')
      const node = await (await lib.db.getDb()).sandboxNode.findFirst({ where: { sandboxId: ctx().sandboxId, name: 'node1' }, select: { socketPath: true } })
      fixtures = new Docker({ socketPath: node?.socketPath ?? '' })
    })

    afterAll(async () => {
      await inNode(lib, ctx().sandboxId, "pkill -f 'quai[-]grow'; rm -f big.bin grow.bin").catch(() => '')
      const volumes = (await fixtures.listVolumes()).Volumes ?? []
      for (const v of volumes.filter((v) => v.Labels?.['quai.test'] === 'resources')) await fixtures.getVolume(v.Name).remove().catch(() => undefined)
      for (const n of await fixtures.listNetworks({ filters: { label: ['quai.test=resources'] } })) await fixtures.getNetwork(n.Id).remove().catch(() => undefined)
    }, 120_000)

    describe('terminal', () => {
      it('pauses output on the socket buffer when the browser acknowledges everything but reads nothing', async () => {
        const bridge = await bridgeServer(lib, ctx().sandboxId)
        try {
          const { client, state, server } = await bridge.open('7')
          client.send(encodeInput('yes quai-buffered-amount-test\r'))
          await sleep(500)
          // From now on the client reads nothing, and acknowledges every byte the server sent.
          client.pause()
          let acked = 0
          let maxBuffered = 0
          // The bridge pauses on its socket buffer; on a loaded machine, where these acks arrive
          // late, the acks window (1 MiB unacknowledged) may pause it first, and then the full
          // buffer keeps it paused. Either way output stops and the buffer stays bounded.
          const pauses = () => bridgeStats.bufferPauses + bridgeStats.pauses
          const [pausesBefore, bufferPausesBefore] = [pauses(), bridgeStats.bufferPauses]
          // The kernel's socket buffers take several MB first (more, the slower `yes` runs on a
          // loaded machine): go on until the bridge has paused, then 2 s more.
          const started = Date.now()
          let pausedAt: number | null = null
          while (Date.now() - started < 60_000 && (pausedAt === null || Date.now() - pausedAt < 2000) && state.closeCode === null) {
            if (pausedAt === null && pauses() > pausesBefore) pausedAt = Date.now()
            const ack = server.sentOutput - acked
            if (ack > 0) {
              client.send(encodeAck(ack))
              acked += ack
            }
            maxBuffered = Math.max(maxBuffered, server.ws.bufferedAmount)
            // Without the bound this grows at the speed of `yes`: stop before it hurts the machine.
            if (maxBuffered > 64 * mib) break
            await sleep(10)
          }
          const sentWhilePaused = server.sentOutput
          await sleep(1000)
          console.log(
            `terminal, acks without reading: server-side bufferedAmount max ${maxBuffered} bytes (bound ${sendBufferHighWater}), ` +
              `${sentWhilePaused} bytes sent in ${Date.now() - started} ms, buffer pauses ${bridgeStats.bufferPauses - bufferPausesBefore}, ` +
              `acks-window pauses ${pauses() - pausesBefore - (bridgeStats.bufferPauses - bufferPausesBefore)}`,
          )
          expect(state.closeCode).toBeNull()
          expect(maxBuffered).toBeLessThan(sendBufferHighWater + 3 * 64 * 1024)
          // Paused means paused: nothing more leaves while the client still reads nothing.
          expect(server.sentOutput - sentWhilePaused).toBeLessThan(3 * 64 * 1024)
          expect(pauses()).toBeGreaterThan(pausesBefore)
          // Reading again lets output flow; Ctrl+C stops `yes`.
          const before = state.received
          client.resume()
          for (let i = 0; i < 100 && state.received < before + 2 * mib; i++) {
            client.send(encodeAck(server.sentOutput - acked))
            acked = server.sentOutput
            await sleep(50)
          }
          expect(state.received).toBeGreaterThan(before + 2 * mib)
          client.send(encodeInput('\x03'))
          client.close()
        } finally {
          await bridge.close()
        }
      })

      it('closes with 1002 when the browser acknowledges more than it was sent', async () => {
        const bridge = await bridgeServer(lib, ctx().sandboxId)
        try {
          const { client, state, server } = await bridge.open('8')
          client.send(encodeInput('echo forged\r'))
          await sleep(500)
          const forged = bridgeStats.forgedAcks
          client.send(encodeAck(server.sentOutput + 1))
          for (let i = 0; i < 50 && state.closeCode === null; i++) await sleep(100)
          expect(state.closeCode).toBe(CloseCode.protocolError)
          expect(state.closeReason).toMatch(/acknowledged \d+ bytes, only \d+ were sent/)
          expect(bridgeStats.forgedAcks).toBe(forged + 1)
        } finally {
          await bridge.close()
        }
      })

      it('drops a client that floods pings and reads none of the pongs, before its buffer passes the limit', async () => {
        const bridge = await bridgeServer(lib, ctx().sandboxId)
        try {
          const { client, state, server } = await bridge.open('8')
          client.pause()
          const overflows = bridgeStats.overflows
          let maxBuffered = 0
          const ping = encodePing(new Uint8Array(16))
          for (let round = 0; round < 400 && state.closeCode === null && server.ws.readyState === WebSocket.OPEN; round++) {
            for (let i = 0; i < 5000; i++) client.send(ping)
            await sleep(5)
            if (server.ws.readyState === WebSocket.OPEN) maxBuffered = Math.max(maxBuffered, server.ws.bufferedAmount)
          }
          for (let i = 0; i < 50 && server.ws.readyState !== WebSocket.CLOSED; i++) await sleep(100)
          console.log(`terminal, ping flood without reading: server-side bufferedAmount max ${maxBuffered} bytes (limit ${sendBufferLimit})`)
          expect(server.ws.readyState).toBe(WebSocket.CLOSED)
          expect(bridgeStats.overflows).toBe(overflows + 1)
          expect(maxBuffered).toBeLessThan(sendBufferLimit + 64 * 1024)
          client.terminate()
        } finally {
          await bridge.close()
        }
      })
    })

    describe('file downloads', () => {
      const root = lessonWorkdir(lesson.lesson)

      it('stream with backpressure: a download nobody reads holds no more than a few buffers', async () => {
        await inNode(lib, ctx().sandboxId, `head -c ${64 * mib} /dev/zero > big.bin`)
        const node = await lib.access.nodeFilesTarget(ctx().sandboxId, 'node1')
        const before = liveBufferBytes()
        const file = await lib.files.openDownload(node, root, 'big.bin')
        await sleep(3000)
        const held = liveBufferBytes() - before
        console.log(`download of 64 MiB, unread for 3 s: ${held} bytes held in this process`)
        expect(file.size).toBe(64 * mib)
        expect(held).toBeLessThan(8 * mib)
        expect(await drain(file.stream)).toEqual({ bytes: 64 * mib, error: null })
      })

      it('count the bytes that arrive: a file that grows after its stat is cut at the size announced, with a clear error', async () => {
        // A writer that appends a megabyte every 200 ms for as long as the test runs.
        await inNode(lib, ctx().sandboxId, `head -c ${2 * mib} /dev/zero > grow.bin; (sh -c ': quai-grow; while :; do head -c 1048576 /dev/zero; sleep 0.2; done' >> grow.bin 2>/dev/null </dev/null &); true`)
        try {
          const node = await lib.access.nodeFilesTarget(ctx().sandboxId, 'node1')
          const file = await lib.files.openDownload(node, root, 'grow.bin')
          expect(file.size).toBeGreaterThanOrEqual(2 * mib)
          await sleep(1000)
          const { bytes, error } = await drain(file.stream)
          expect(error).toBeInstanceOf(lib.archive.FileSizeChangedError)
          expect(error?.message).toMatch(/grew while it was being downloaded: it was cut at the \d+ bytes announced/)
          // Cut at the size of its stat: never more (what the reader had not taken yet when the
          // error came may be dropped).
          expect(bytes).toBeLessThanOrEqual(file.size)
          expect(bytes).toBeGreaterThan(file.size - 512 * 1024)

          // Through the route: the body fails instead of ending, so the browser does not keep a cut file.
          const response = await call(ctx().alice, `${sandboxApi.download(ctx().sandboxId)}?${q}&path=grow.bin`)
          expect(response.status).toBe(200)
          let received = 0
          let failed = false
          const reader = response.body!.getReader()
          try {
            for (let next = await reader.read(); !next.done; next = await reader.read()) received += next.value.byteLength
          } catch {
            failed = true
          }
          expect(failed).toBe(true)
          expect(received).toBeLessThanOrEqual(lib.files.fileLimits.downloadBytes)
        } finally {
          await inNode(lib, ctx().sandboxId, "pkill -f 'quai[-]grow'; rm -f grow.bin big.bin; true")
        }
      })
    })

    describe('answers of the learner daemon', () => {
      it('refuse an answer over 4 MiB with a clear error, in the checks and through the check route', async () => {
        // Five volumes with a megabyte of labels each: the volume list is over 5 MiB.
        for (let i = 0; i < 5; i++) {
          await fixtures.createVolume({ Name: `quai-big-${i}`, Labels: { 'quai.test': 'resources', big: 'b'.repeat(mib) } })
        }
        await expect(lib.reads.listVolumes(inner)).rejects.toBeInstanceOf(lib.daemonRead.DaemonAnswerTooLargeError)
        await expect(lib.reads.readSnapshot(inner)).rejects.toThrow(/answered more than 4 MiB for the volume list/)
        // The exercise's volume is missing, so the check lists volumes to suggest near names.
        const check = () =>
          call(ctx().alice, '/api/exercises/check', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ sandboxId: ctx().sandboxId, courseSlug: lesson.course, lessonSlug: lesson.lesson, exerciseId: 'volume-donnees' }),
          })
        const refused = await check()
        expect(refused.status).toBe(422)
        const body = (await refused.json()) as { error: { code: string; message: string } }
        expect(body.error.code).toBe('daemon_answer_too_large')
        expect(body.error.message).toMatch(/more than 4 MiB for the volume list.*remove the containers, images, volumes or labels/)
        for (let i = 0; i < 5; i++) await fixtures.getVolume(`quai-big-${i}`).remove()
        const allowed = await check()
        expect(allowed.status).toBe(200)
        expect(((await allowed.json()) as { result: { passed: boolean } }).result.passed).toBe(false)
      })
    })

    describe('live checks', () => {
      it('keep only the latest states for a client that never reads, however much happens', async () => {
        const { alice, sandboxId } = ctx()
        // A diagram worth about 100 kB: 400 volumes with long names.
        const long = 'v'.repeat(200)
        for (let i = 0; i < 400; i += 20) {
          await Promise.all(Array.from({ length: 20 }, (_, j) => fixtures.createVolume({ Name: `q${i + j}-${long}`, Labels: { 'quai.test': 'resources' } })))
        }
        const access = lib.checksAccess.getSandboxAccess()
        const who = { userId: alice.userId, courseSlug: lesson.course, lessonSlug: lesson.lesson, exerciseId: 'volume-donnees' }
        // A reader that keeps up, to see what happens; a stream nobody reads.
        const seen: LiveEvent[] = []
        let seenBytes = 0
        const send = (event: LiveEvent) => {
          seen.push(event)
          seenBytes += JSON.stringify(event).length
        }
        const unsubscribe = await lib.live.subscribeLive(sandboxId, { ...who, send, close: () => {} }, access)
        const stalled = await lib.live.liveEventStream(sandboxId, who, access, new AbortController().signal)
        try {
          const snapshots = () => seen.filter((e) => e.type === 'snapshot').length
          for (let round = 0; round < 12; round++) {
            const before = snapshots()
            await fixtures.createNetwork({ Name: `quai-live-${round}`, Labels: { 'quai.test': 'resources' } })
            for (let i = 0; i < 100 && snapshots() === before; i++) await sleep(100)
          }
          await sleep(1000)
          const last = seen.filter((e) => e.type === 'snapshot').at(-1)
          // Now read what the stalled stream holds.
          const reader = stalled.getReader()
          let queued = 0
          let text = ''
          for (;;) {
            const next = await Promise.race([reader.read(), sleep(500).then(() => null)])
            if (!next || next.done) break
            queued += next.value.byteLength
            text += new TextDecoder().decode(next.value)
          }
          await reader.cancel()
          const events = text.split('\n\n').filter((block) => block.includes('data: ')).map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as LiveEvent)
          console.log(`live, a client that never reads: ${queued} bytes queued for it, while ${seenBytes} bytes of events went to a reader (bound ${lib.live.liveQueueBytes} + the latest of each kind)`)
          expect(seenBytes).toBeGreaterThan(4 * lib.live.liveQueueBytes)
          expect(queued).toBeLessThan(lib.live.liveQueueBytes + 3 * JSON.stringify(last).length)
          // The last snapshot it gets is the latest state, not one of the states in between.
          expect(events.filter((e) => e.type === 'snapshot').at(-1)).toEqual(last)
        } finally {
          unsubscribe()
          await stalled.cancel().catch(() => undefined)
        }
      }, 180_000)
    })

    describe('per-user limits, through the routes', () => {
      it('answer 429 with Retry-After past a limit, and another user is not affected', async () => {
        const { server, alice, sandboxId } = ctx()
        const dave = await signUp(server, 'dave')
        const expectLimited = async (response: Response, what: RegExp) => {
          expect(response.status).toBe(429)
          const retry = Number(response.headers.get('retry-after'))
          expect(retry).toBeGreaterThanOrEqual(1)
          expect(retry).toBeLessThanOrEqual(60)
          const body = (await response.json()) as { error: { code: string; message: string; retryAfterSeconds: number } }
          expect(body.error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: retry })
          expect(body.error.message).toMatch(what)
          expect(body.error.message).toContain(`try again in ${retry} s`)
        }
        // File calls: 120 a minute (Dave asks for Alice's files: refused, but each one counts).
        const files = () => call(dave, `${sandboxApi.files(sandboxId)}?${q}`)
        for (let i = 0; i < 120; i++) expect((await files()).status).toBe(403)
        await expectLimited(await files(), /too many file operations: 120 a minute at most/)
        expect((await call(alice, `${sandboxApi.files(sandboxId)}?${q}`)).status).toBe(200)

        // Checks: 30 a minute.
        const check = (who: Account) =>
          call(who, '/api/exercises/check', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ sandboxId, courseSlug: lesson.course, lessonSlug: lesson.lesson, exerciseId: 'volume-donnees' }),
          })
        for (let i = 0; i < 30; i++) expect((await check(dave)).status).toBe(403)
        await expectLimited(await check(dave), /too many checks: 30 a minute at most/)
        expect((await check(alice)).status).toBe(200)

        // Live streams: 60 a minute.
        const liveUrl = `/api/sandboxes/${sandboxId}/live?courseSlug=${lesson.course}&lessonSlug=${lesson.lesson}&exerciseId=volume-donnees`
        for (let i = 0; i < 60; i++) expect((await call(dave, liveUrl)).status).toBe(403)
        await expectLimited(await call(dave, liveUrl), /too many live connections: 60 a minute at most/)

        // Terminal connections: 60 a minute, refused before the upgrade.
        for (let i = 0; i < 60; i++) {
          const refused = await tryUpgrade(terminalUrl(server, sandboxId), { cookie: dave.cookie, origin: server.url })
          expect('status' in refused && refused.status).toBe(403)
        }
        const limited = await new Promise<http.IncomingMessage>((resolve, reject) => {
          const ws = new WebSocket(terminalUrl(server, sandboxId), { headers: { cookie: dave.cookie, origin: server.url } })
          ws.once('unexpected-response', (_request, response) => resolve(response))
          ws.once('open', () => reject(new Error('the upgrade was accepted')))
          ws.once('error', () => undefined)
        })
        expect(limited.statusCode).toBe(429)
        expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
        let text = ''
        for await (const chunk of limited) text += String(chunk)
        expect(JSON.parse(text)).toMatchObject({ error: { code: 'rate_limited', limit: 'terminals' } })
        const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '1' }), alice, server.url)
        expect(await term.run('echo alice-still-here')).toContain('alice-still-here')
        term.close()
      }, 180_000)
    })
  })
}
