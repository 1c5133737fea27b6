// Sandbox lifecycle on the real Docker engine: start, reuse, run Docker inside (images from
// the registry mirror), files, ports, ownership, rate limit, capacity, warm pool, reaping,
// reconcile after a crash, and cleanup. Needs root, Docker and `npm run images:build`.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { putEntries, readFileFromArchive, type NewEntry } from '../../../lib/docker/archive.server'
import { hostEngine } from '../../../lib/docker/client.server'
import { readDaemonJson } from '../../../lib/docker/daemon-read.server'
import { removeContainer } from '../../../lib/docker/engine.server'
import { openExecStream } from '../../../lib/docker/exec-stream.server'
import { listImageTags } from '../../../lib/docker/reads.server'
import { execInNode, innerDocker, nodeAddress, nodeExecTarget } from '../../../lib/sandbox/node-access.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { fillPool, reapExpiredSandboxes, reconcileSandboxes } from '../../../lib/sandbox/runtime.server'
import {
  endSandbox,
  getOwnedSandbox,
  openSandbox,
  requireRunningSandbox,
  resetSandbox,
  stopSandbox,
  touchSandbox,
} from '../../../lib/sandbox/sandboxes.server'
import { holderCommand } from '../../../lib/terminal/bridge.server'
import { SandboxCapacityError, SandboxNotFoundError, SandboxNotYoursError, SandboxRateLimitError, sandboxErrorMessage } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, leftovers, nothingLeft, setConfig, withTestNamespace } from './support'
import { setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'

withTestNamespace('life')

describe.sequential('sandbox lifecycle', () => {
  let sandboxId = ''

  beforeAll(async () => {
    for (const u of ['ada', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus']) await createUser(u)
  })

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('starts a sandbox whose Docker works, with lesson images from the registry mirror', async () => {
    const t0 = performance.now()
    const view = await openSandbox('ada', { lessonKey: 'docker/premiers-pas' })
    const readyMs = performance.now() - t0
    sandboxId = view.id
    expect(view.status).toBe('running')
    expect(view.userId).toBe('ada')
    expect(view.lessonKey).toBe('docker/premiers-pas')
    expect(view.nodes).toEqual([{ name: 'node1', role: 'standalone', hostname: 'node1' }])
    expect(view.idleExpiresAt.getTime()).toBeGreaterThan(Date.now())
    expect(view.maxExpiresAt.getTime()).toBeGreaterThanOrEqual(view.idleExpiresAt.getTime() - 60_000)
    console.log(`cold start: ${Math.round(readyMs)} ms`)

    const version = await execInNode(sandboxId, 'node1', ['docker', 'version', '--format', '{{.Server.Version}}'])
    expect(version.exitCode).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+/)

    const hi = await execInNode(sandboxId, 'node1', ['docker', 'run', '--rm', 'busybox', 'echo', 'hi'], { timeoutMs: 60_000 })
    expect(hi.stderr).toContain('library/busybox')
    expect(hi.stdout.trim()).toBe('hi')
    expect(hi.exitCode).toBe(0)

    // The learner is root of their own world, in the working folder, with the default socket.
    const who = await execInNode(sandboxId, 'node1', ['sh', '-c', 'id -u; pwd; hostname; echo $DOCKER_HOST; test -S /var/run/docker.sock && echo sock'])
    expect(who.stdout.split('\n')).toEqual(['0', '/root/lab', 'node1', '', 'sock', ''])
  })

  it('reuses the running sandbox when the lesson is opened again, and gives the checks its inner daemon', async () => {
    // (Another lesson gets a sandbox of its own, and this one is kept: kept-work.test.ts.)
    const again = await openSandbox('ada', { lessonKey: 'docker/premiers-pas' })
    expect(again.id).toBe(sandboxId)
    expect(again.lessonKey).toBe('docker/premiers-pas')

    const docker = await innerDocker(sandboxId, 'node1')
    const info = (await readDaemonJson(docker, { path: '/info', what: 'info' })) as { Name: string }
    expect(info.Name).toBe('node1')
    expect(await listImageTags(docker)).toContain('busybox:latest')
  })

  it('serves a published port to the host (what the port proxy uses)', async () => {
    const run = await execInNode(sandboxId, 'node1', ['docker', 'run', '-d', '--name', 'web', '-p', '8080:80', 'nginx'], { timeoutMs: 90_000 })
    expect(run.exitCode, run.stderr).toBe(0)
    const address = await nodeAddress(sandboxId, 'node1')
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    let body = ''
    for (let i = 0; i < 50 && !body.includes('nginx'); i++) {
      body = await fetch(`http://${address}:8080/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => '')
      if (!body.includes('nginx')) await new Promise((r) => setTimeout(r, 200))
    }
    expect(body).toContain('Welcome to nginx!')
  })

  it('shares the working folder with the file transport: files written there belong to the learner', async () => {
    const target = await nodeExecTarget(sandboxId, 'node1')
    const compose = 'services:\n  web:\n    image: nginx\n'
    await putEntries(target, '/root/lab', [{ name: 'compose.yaml', kind: 'file', body: Buffer.from(compose), mode: 0o644 }])
    const seen = await execInNode(sandboxId, 'node1', ['sh', '-c', 'stat -c "%U %s" compose.yaml && echo edited >> compose.yaml && echo made > made.txt'])
    expect(seen.stdout.trim()).toBe(`root ${compose.length}`)
    expect(seen.exitCode).toBe(0)
    expect((await readFileFromArchive(target, '/root/lab/made.txt', 1024)).toString()).toBe('made\n')
    // Every exec goes through quai-enter; a bare command would land outside the learner's world.
    expect(target.command(['ls'])).toEqual(['quai-enter', 'ls'])
  })

  it('runs Compose, and builds a Node image whose `npm ci` is served offline by the image\'s cache', async () => {
    const target = await nodeExecTarget(sandboxId, 'node1')
    const here = path.resolve(import.meta.dirname, '../../../images/node')
    const entries: NewEntry[] = [
      { name: 'app', kind: 'dir' },
      { name: 'app/package.json', kind: 'file', body: fs.readFileSync(path.join(here, 'package.json')) },
      { name: 'app/package-lock.json', kind: 'file', body: fs.readFileSync(path.join(here, 'package-lock.json')) },
      {
        name: 'app/server.js',
        kind: 'file',
        body: Buffer.from("const express = require('express'); require('pg'); require('redis'); require('prom-client'); express().get('/', (q, r) => r.send('api ok')).listen(3000)\n"),
      },
      {
        name: 'app/Dockerfile',
        kind: 'file',
        body: Buffer.from('FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev\nCOPY server.js ./\nCMD ["node", "server.js"]\n'),
      },
      {
        name: 'app/compose.yaml',
        kind: 'file',
        body: Buffer.from('services:\n  api:\n    build: .\n    ports: ["3000:3000"]\n    depends_on: [cache]\n  cache:\n    image: redis\n'),
      },
    ]
    await putEntries(target, '/root/lab', entries)
    const up = await execInNode(sandboxId, 'node1', ['sh', '-c', 'docker compose up -d --build 2>&1 && docker compose ps --format "{{.Service}} {{.State}}"'], {
      workingDir: '/root/lab/app',
      timeoutMs: 240_000,
    })
    expect(up.exitCode, up.stdout.slice(-2000)).toBe(0)
    expect(up.stdout).toMatch(/api running/)
    expect(up.stdout).toMatch(/cache running/)
    const address = await nodeAddress(sandboxId, 'node1')
    let body = ''
    for (let i = 0; i < 50 && body !== 'api ok'; i++) {
      body = await fetch(`http://${address}:3000/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => '')
      if (body !== 'api ok') await new Promise((r) => setTimeout(r, 200))
    }
    expect(body).toBe('api ok')
    await execInNode(sandboxId, 'node1', ['docker', 'compose', 'down'], { workingDir: '/root/lab/app', timeoutMs: 60_000 })
  })

  it('opens an interactive shell on a TTY, in the learner\'s world', async () => {
    // The terminal's own path: the node's exec target, a raw exec stream, and the session
    // holder that gives the shell its TTY (frames: 2 start, 1 resize, 0 input).
    const target = await nodeExecTarget(sandboxId, 'node1')
    const shell = await openExecStream(target, { cmd: target.command(holderCommand({ session: 'lifecycle', cols: 100, rows: 30 })) })
    const frame = (type: number, payload: Buffer) => Buffer.concat([Buffer.from([type, payload.length >> 8, payload.length & 0xff]), payload])
    let out = ''
    shell.onOutput((d) => (out += d.toString('utf8')))
    const ended = new Promise<void>((resolve) => shell.onEnd(() => resolve()))
    shell.write(frame(2, Buffer.from('-')))
    const size = Buffer.alloc(4)
    size.writeUInt16BE(120, 0)
    size.writeUInt16BE(40, 2)
    shell.write(frame(1, size))
    shell.write(frame(0, Buffer.from('echo "answer=$((6*7)) cols=$(tput cols) user=$(id -u) dir=$PWD"; exit\n')))
    await Promise.race([ended, new Promise((r) => setTimeout(r, 15_000))])
    expect(out).toContain('answer=42 cols=120 user=0 dir=/root/lab')
    expect(await shell.exitCode()).toBe(0)
  })

  it('refuses other users', async () => {
    expect(await getOwnedSandbox('bob', sandboxId)).toBeNull()
    expect((await getOwnedSandbox('ada', sandboxId))?.id).toBe(sandboxId)
    await expect(requireRunningSandbox('bob', sandboxId)).rejects.toBeInstanceOf(SandboxNotYoursError)
    await expect(requireRunningSandbox('bob', 'nosuchsandbox')).rejects.toBeInstanceOf(SandboxNotFoundError)
    await expect(stopSandbox('bob', sandboxId)).rejects.toBeInstanceOf(SandboxNotYoursError)
    await expect(resetSandbox('bob', sandboxId)).rejects.toBeInstanceOf(SandboxNotYoursError)
    expect((await requireRunningSandbox('ada', sandboxId)).status).toBe('running')
  })

  it('throttles activity writes', async () => {
    const db = await getDb()
    const past = new Date(Date.now() - 120_000)
    await db.sandbox.update({ where: { id: sandboxId }, data: { lastActivityAt: past } })
    await touchSandbox(sandboxId)
    const first = (await db.sandbox.findUniqueOrThrow({ where: { id: sandboxId } })).lastActivityAt
    expect(first.getTime()).toBeGreaterThan(past.getTime())
    await db.sandbox.update({ where: { id: sandboxId }, data: { lastActivityAt: past } })
    await touchSandbox(sandboxId) // within QUAI_SANDBOX_TOUCH_SECONDS of the last one: no write
    expect((await db.sandbox.findUniqueOrThrow({ where: { id: sandboxId } })).lastActivityAt.getTime()).toBe(past.getTime())
    await db.sandbox.update({ where: { id: sandboxId }, data: { lastActivityAt: new Date() } })
  })

  it('says when a learner starts too many sandboxes, in French and English', async () => {
    const db = await getDb()
    setConfig({ createsPerHour: 2 })
    const now = Date.now()
    for (const minutesAgo of [50, 20]) {
      await db.sandbox.create({
        data: { id: `rl${minutesAgo}${process.pid}`.slice(0, 12), userId: 'cy', status: 'ended', createdAt: new Date(now - minutesAgo * 60_000), expiresAt: new Date(now), placement: 'elsewhere' },
      })
    }
    const error = await openSandbox('cy').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxRateLimitError)
    const e = error as SandboxRateLimitError
    // The oldest of the two leaves the hour in ~10 minutes.
    expect(e.retryAfterSeconds).toBeGreaterThan(9 * 60)
    expect(e.retryAfterSeconds).toBeLessThanOrEqual(10 * 60)
    expect(e.status).toBe(429)
    expect(e.toJSON().message.en).toMatch(/Try again in 10 min/)
    expect(e.toJSON().message.fr).toMatch(/Réessayez dans 10 min/)
    setConfig({ createsPerHour: 1000 })
  })

  it('says when all sandboxes are in use, with when to come back', async () => {
    const db = await getDb()
    const live = await db.sandbox.count({ where: { status: { in: ['starting', 'running', 'stopping'] } } })
    setConfig({ maxConcurrent: live })
    const error = await openSandbox('dee').catch((e: unknown) => e)
    setConfig({ maxConcurrent: 50 })
    expect(error).toBeInstanceOf(SandboxCapacityError)
    const e = error as SandboxCapacityError
    expect(e.retryAfterMinutes).toBeGreaterThanOrEqual(1)
    expect(e.status).toBe(503)
    expect(sandboxErrorMessage('sandbox.capacity_full', { retryAfterMinutes: 3 }, 'fr')).toBe('Tous les bacs à sable sont occupés pour le moment. Réessayez dans 3 minutes.')
    expect(sandboxErrorMessage('sandbox.capacity_full', { retryAfterMinutes: 1 }, 'en')).toBe('All sandboxes are in use right now. Try again in 1 minute.')
  })

  it('admits exactly as many concurrent openings as there are free places', async () => {
    const db = await getDb()
    for (const u of ['race1', 'race2', 'race3']) await createUser(u)
    const live = await db.sandbox.count({ where: { status: { in: ['starting', 'running', 'stopping'] } } })
    setConfig({ maxConcurrent: live + 1 })
    const results = await Promise.allSettled(['race1', 'race2', 'race3'].map((u) => openSandbox(u)))
    setConfig({ maxConcurrent: 50 })
    const opened = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof openSandbox>>> => r.status === 'fulfilled')
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)
    expect(opened).toHaveLength(1)
    expect(refused).toHaveLength(2)
    for (const e of refused) expect(e).toBeInstanceOf(SandboxCapacityError)
    await endSandbox(opened[0]!.value.id, 'stopped')
  })

  it('hands out a ready sandbox from the warm pool in one claim', async () => {
    setConfig({ poolSize: 1 })
    expect(await fillPool()).toBe(1)
    const t0 = performance.now()
    const view = await openSandbox('eve', { lessonKey: 'docker/volumes' })
    const claimMs = performance.now() - t0
    console.log(`warm pool claim: ${Math.round(claimMs)} ms`)
    setConfig({ poolSize: 0 })
    const db = await getDb()
    const row = await db.sandbox.findUniqueOrThrow({ where: { id: view.id } })
    expect(row.fromPool).toBe(true)
    expect(row.userId).toBe('eve')
    expect(view.lessonKey).toBe('docker/volumes')
    const r = await execInNode(view.id, 'node1', ['docker', 'info', '--format', '{{.Name}}'])
    expect(r.stdout.trim()).toBe('node1')
    await stopSandbox('eve', view.id)
  })

  it('never makes more pooled sandboxes than the pool wants when two instances fill it at once', async () => {
    setConfig({ poolSize: 2 })
    const db = await getDb()
    const config = sandboxConfig()
    const pooled = () => db.sandbox.count({ where: { userId: config.poolUserId, fromPool: true, status: { in: ['starting', 'running'] } } })
    // Two web instances' ticks in the same instant: both read an empty pool before either reserves.
    const started = await Promise.all([fillPool(), fillPool()])
    expect(started[0]! + started[1]!).toBe(2)
    expect(await pooled()).toBe(2)
    setConfig({ poolSize: 0 })
    await fillPool()
    expect(await pooled()).toBe(0)
  })

  it('falls back to the user-namespace recipe where --privileged is refused', async () => {
    setConfig({ isolation: 'privileged' })
    setSandboxPlacementForTests(null)
    try {
      const view = await openSandbox('gus')
      const r = await execInNode(view.id, 'node1', ['sh', '-c', 'cat /proc/self/uid_map; docker info --format "{{.Name}}"'])
      expect(r.stdout).toContain('node1')
      // Where the engine refuses --privileged (this lab's machines) the node runs in userns mode;
      // elsewhere it runs privileged. Either way the learner gets a working Docker.
      const mapped = r.stdout.trim().split('\n')[0]?.trim().split(/\s+/)[1]
      console.log(`isolation=privileged ran as ${mapped === '0' ? 'privileged' : 'userns (fallback)'}`)
      await stopSandbox('gus', view.id)
    } finally {
      setConfig({ isolation: 'auto' })
      setSandboxPlacementForTests(null)
    }
  })

  it('reaps a sandbox left idle', async () => {
    const view = await openSandbox('fay')
    const db = await getDb()
    await db.sandbox.update({ where: { id: view.id }, data: { lastActivityAt: new Date(Date.now() - 3 * 3600_000) } })
    const reaped = await reapExpiredSandboxes()
    expect(reaped.ended).toContainEqual({ id: view.id, reason: 'idle' })
    const row = await db.sandbox.findUniqueOrThrow({ where: { id: view.id } })
    expect(row.status).toBe('ended')
    expect(row.endReason).toBe('idle')
    expect(await leftovers(view.id)).toEqual(nothingLeft)
  })

  it('reaps a sandbox past its maximum lifetime even while the learner is active', async () => {
    const view = await openSandbox('fay')
    const db = await getDb()
    await db.sandbox.update({ where: { id: view.id }, data: { lastActivityAt: new Date(), expiresAt: new Date(Date.now() - 1000) } })
    const reaped = await reapExpiredSandboxes()
    expect(reaped.ended).toContainEqual({ id: view.id, reason: 'expired' })
    expect((await db.sandbox.findUniqueOrThrow({ where: { id: view.id } })).endReason).toBe('expired')
    expect(await leftovers(view.id)).toEqual(nothingLeft)
  })

  it('reconciles after a crash: orphans removed, lost ones ended, healthy ones adopted', async () => {
    const db = await getDb()
    // A crash that lost the database row: its containers, disk and cgroup are orphans.
    const orphan = await openSandbox('gus')
    await db.sandbox.delete({ where: { id: orphan.id } })
    // A crash of the host engine side: the row says running, the container is gone.
    const lost = await openSandbox('bob')
    const lostNode = await db.sandboxNode.findFirstOrThrow({ where: { sandboxId: lost.id } })
    await removeContainer(hostEngine(), lostNode.containerId ?? '')

    const result = await reconcileSandboxes()
    expect(result.removed).toContain(orphan.id)
    expect(result.ended).toContain(lost.id)
    expect(result.adopted).toContain(sandboxId)
    expect(await leftovers(orphan.id)).toEqual(nothingLeft)
    expect(await leftovers(lost.id)).toEqual(nothingLeft)
    const lostRow = await db.sandbox.findUniqueOrThrow({ where: { id: lost.id } })
    expect(lostRow.status).toBe('ended')
    expect(lostRow.endReason).toBe('lost')
    // The adopted one still works.
    expect((await execInNode(sandboxId, 'node1', ['docker', 'ps', '-q'])).exitCode).toBe(0)
  })

  it('resets to a fresh sandbox and stops, leaving nothing behind', async () => {
    const fresh = await resetSandbox('ada', sandboxId)
    expect(fresh.id).not.toBe(sandboxId)
    expect(fresh.lessonKey).toBe('docker/premiers-pas')
    expect(await leftovers(sandboxId)).toEqual(nothingLeft)
    const db = await getDb()
    expect((await db.sandbox.findUniqueOrThrow({ where: { id: sandboxId } })).endReason).toBe('reset')
    const images = await execInNode(fresh.id, 'node1', ['docker', 'images', '-q'])
    expect(images.stdout.trim()).toBe('')

    const stopped = await stopSandbox('ada', fresh.id)
    expect(stopped.status).toBe('ended')
    expect(stopped.endReason).toBe('stopped')
    expect(await leftovers(fresh.id)).toEqual(nothingLeft)
    // Ending twice is harmless.
    await endSandbox(fresh.id, 'stopped')
  })
})
