// One learner cannot exhaust the server: the bounds on what Quai reads from a learner's Docker
// daemon, tried against a daemon that misbehaves on purpose (an HTTP server on a unix socket,
// spoken to by the real dockerode client and Quai's real readers).
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { PassThrough, Duplex } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { daemonAnswerMaxBytes, DaemonAnswerTooLargeError } from '../../../lib/docker/daemon-read.server'
import { demuxExecOutput } from '../../../lib/docker/exec-stream.server'
import { dockerClientForSocket, type DockerDaemon } from '../../../lib/docker/client.server'
import { followEvents, LineSplitter, maxEventLineBytes, type DaemonEvent } from '../../../lib/docker/events.server'
import { inspectContainer, listContainers, listVolumes, readSnapshot } from '../../../lib/docker/reads.server'

type Route = (request: http.IncomingMessage, response: http.ServerResponse) => void

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-fake-daemon-'))
const socketPath = path.join(dir, 'docker.sock')
const routes = new Map<string, Route>()
/** Bytes the fake daemon managed to hand to the socket, per path (what the client read, give or take the socket buffers). */
const written = new Map<string, number>()
let server: http.Server
let docker: DockerDaemon

/** Writes `total` bytes of `fill` (after `head`), following backpressure, and counts what left. */
function stream(pathname: string, head: string, fill: string, total: number, tail = '') {
  routes.set(pathname, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, fill)
    let sent = 0
    const count = (n: number) => written.set(pathname, (written.get(pathname) ?? 0) + n)
    response.write(head)
    count(head.length)
    const pump = () => {
      while (sent < total) {
        const part = chunk.subarray(0, Math.min(chunk.length, total - sent))
        sent += part.length
        count(part.length)
        if (!response.write(part)) return void response.once('drain', pump)
      }
      response.end(tail)
    }
    response.on('close', () => (sent = total + 1))
    pump()
  })
}

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://d').pathname.replace(/^\/v[\d.]+/, '')
    const route = routes.get(pathname)
    if (route) return route(request, response)
    response.writeHead(404, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ message: `No such thing: ${pathname}` }))
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  docker = dockerClientForSocket(socketPath)
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('answers of a learner daemon are read with a cap', () => {
  it('refuses an answer past 4 MiB with a clear error, without reading the rest', async () => {
    // 10,000 containers' worth of list, and more: 64 MiB that would otherwise be read whole.
    stream('/containers/json', '[{"Id":"a","Names":["/a"],"Labels":{"x":"', 'a', 64 * 1024 * 1024, '"}}]')
    const error = await listContainers(docker).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DaemonAnswerTooLargeError)
    expect((error as Error).message).toMatch(/answered more than 4 MiB for the container list.*remove the containers/)
    // The same read backs the live diagram.
    routes.set('/networks', (_q, r) => r.end('[]'))
    routes.set('/volumes', (_q, r) => r.end('{"Volumes":[]}'))
    await expect(readSnapshot(docker)).rejects.toBeInstanceOf(DaemonAnswerTooLargeError)
    await new Promise((r) => setTimeout(r, 200))
    // What the daemon could write before the client hung up: the cap plus what sockets buffer.
    expect(written.get('/containers/json')).toBeLessThan(2 * (daemonAnswerMaxBytes + 4 * 1024 * 1024))
  })

  it('still reads answers under the cap, and a 404 still reads as "missing"', async () => {
    routes.set('/volumes', (_q, r) => r.end(JSON.stringify({ Volumes: [{ Name: 'donnees', Driver: 'local', Labels: { big: 'b'.repeat(1024 * 1024) } }] })))
    expect((await listVolumes(docker)).map((v) => v.name)).toEqual(['donnees'])
    expect(await inspectContainer(docker, 'nope')).toBeNull()
  })
})

describe('the daemon event stream is split into lines with a cap', () => {
  it('drops a line without a newline past the cap, holds no more than the cap, and carries on', () => {
    const lines: string[] = []
    let oversized = 0
    const splitter = new LineSplitter(1024, (l) => lines.push(l.toString()), () => oversized++)
    splitter.push(Buffer.from('{"a":1}\n{"b"'))
    expect(lines).toEqual(['{"a":1}'])
    for (let i = 0; i < 10_000; i++) {
      splitter.push(Buffer.alloc(4096, 'x'))
      expect(splitter.pendingBytes).toBeLessThanOrEqual(1024)
    }
    expect(oversized).toBe(1)
    splitter.push(Buffer.from('xxx\n{"c":3}\n'))
    expect(lines).toEqual(['{"a":1}', '{"c":3}'])
  })

  it('follows a daemon that sends 64 MiB without a newline: one "oversized" event, then the next real one', async () => {
    const event = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'web' } } })
    stream('/events', '', 'z', 64 * 1024 * 1024, `\n${event}\n`)
    const events: DaemonEvent[] = []
    const started = performance.now()
    const stop = await followEvents(docker, { onEvent: (e) => events.push(e), onEnd: () => {} })
    try {
      const deadline = Date.now() + 30_000
      while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(events).toEqual([
        { type: 'unknown', action: 'oversized', actorId: '', actorName: '' },
        { type: 'container', action: 'start', actorId: 'abc', actorName: 'web' },
      ])
      console.log(`64 MiB line without a newline followed in ${Math.round(performance.now() - started)} ms (cap ${maxEventLineBytes} bytes)`)
    } finally {
      stop()
    }
  })
})

describe("an exec's output is demultiplexed with backpressure", () => {
  it('pauses the connection while stdout is not read, and resumes when it is', async () => {
    const socket = new Duplex({ read() {}, write(_c, _e, cb) { cb() } })
    const stdout = new PassThrough({ highWaterMark: 64 * 1024 })
    demuxExecOutput(socket, { stdout, onStderr: () => {} })
    const payload = Buffer.alloc(32 * 1024, 'y')
    const header = (n: number) => {
      const h = Buffer.alloc(8)
      h[0] = 1
      h.writeUInt32BE(n, 4)
      return h
    }
    let pushed = 0
    // Push until the demuxer pauses the connection (nobody reads stdout).
    for (let i = 0; i < 1000 && !socket.isPaused(); i++) {
      socket.push(Buffer.concat([header(payload.length), payload]))
      pushed += payload.length
      await new Promise((r) => setImmediate(r))
    }
    expect(socket.isPaused()).toBe(true)
    expect(stdout.readableLength).toBeLessThanOrEqual(64 * 1024 + payload.length)
    expect(pushed).toBeLessThan(1000 * payload.length)
    // Reading drains stdout and the connection flows again.
    stdout.resume()
    await new Promise((r) => setImmediate(r))
    expect(socket.isPaused()).toBe(false)
  })
})
