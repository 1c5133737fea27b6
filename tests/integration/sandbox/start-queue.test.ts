// The start queue on the real Docker engine and database: concurrent opens start at most
// QUAI_SANDBOX_START_CONCURRENCY at once, in order, each learner's place falls, and all end
// running; a learner who left is dropped from the queue, and a stuck start stops holding its
// slot. Needs root, Docker and `npm run images:build`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import type { SandboxPlacement } from '../../../lib/sandbox/placement'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'
import { startProgress } from '../../../lib/sandbox/start-queue.server'
import { SandboxNotRunningError } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, setConfig, withTestNamespace } from './support'

withTestNamespace('queue', { startConcurrency: 2 })

/** The real placement, counting the sandboxes whose containers are being made at this moment. */
function countingPlacement(real: SandboxPlacement) {
  const counter = { now: 0, max: 0, order: [] as string[] }
  const placement = Object.create(real) as SandboxPlacement
  placement.create = async (spec) => {
    counter.now++
    counter.max = Math.max(counter.max, counter.now)
    counter.order.push(spec.userId)
    try {
      return await real.create(spec)
    } finally {
      counter.now--
    }
  }
  return { placement, counter }
}

describe.sequential('sandbox start queue', () => {
  const learners = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6']

  beforeAll(async () => {
    for (const u of [...learners, 'r1', 'r2']) await createUser(u)
  })

  afterAll(async () => {
    setSandboxPlacementForTests(null)
    await cleanUpNamespace()
  })

  it('starts at most QUAI_SANDBOX_START_CONCURRENCY at once, in order, with places that only fall, and all end running', async () => {
    const real = sandboxPlacement()
    const { placement, counter } = countingPlacement(real)
    setSandboxPlacementForTests(placement)
    try {
      const places = new Map<string, number[]>(learners.map((u) => [u, []]))
      let watching = true
      const watch = (async () => {
        while (watching) {
          for (const u of learners) {
            const p = await startProgress(u, placement.name)
            if (p.phase === 'queued') places.get(u)?.push(p.ahead)
          }
          await new Promise((r) => setTimeout(r, 50))
        }
      })()
      // One after another within a few milliseconds, as a class does: the queue keeps that order.
      const opens: Promise<Awaited<ReturnType<typeof openSandbox>>>[] = []
      for (const u of learners) {
        opens.push(openSandbox(u, { lessonKey: 'docker/queue' }))
        await new Promise((r) => setTimeout(r, 30))
      }
      const views = await Promise.all(opens)
      watching = false
      await watch

      expect(views.map((v) => v.status)).toEqual(learners.map(() => 'running'))
      expect(counter.max).toBe(2)
      // In the order asked, except that learners leaving the queue together (free slots) may swap.
      expect([...counter.order].sort()).toEqual(learners)
      learners.forEach((u, i) => expect(counter.order.indexOf(u)).toBeLessThanOrEqual(i + 1))
      // The last learners waited, and saw their place fall without ever rising.
      const last = places.get('q6') ?? []
      expect(Math.max(...last)).toBeGreaterThanOrEqual(2)
      for (const [, seen] of places) {
        for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThanOrEqual(seen[i - 1] ?? Infinity)
      }
      for (const u of learners) expect(await startProgress(u, placement.name)).toEqual({ phase: 'running' })
    } finally {
      setSandboxPlacementForTests(null)
    }
  })

  it('drops a learner who left the queue, and a stuck start stops holding its slot', async () => {
    setConfig({ startConcurrency: 1 })
    const db = await getDb()
    const config = sandboxConfig()
    const placement = sandboxPlacement().name
    // Another instance began a start and never finished it: it holds the only slot for 20 s more.
    await createUser('ghost')
    const ghostId = `gh${Date.now().toString(36)}`.slice(0, 12)
    const ghostStartedAt = new Date(Date.now() - (config.startTimeoutSeconds + 30 - 20) * 1000)
    const ghostSlotEnds = ghostStartedAt.getTime() + (config.startTimeoutSeconds + 30) * 1000
    await db.sandbox.create({
      data: { id: ghostId, userId: 'ghost', status: 'starting', placement, layoutKey: 'single', startedAt: ghostStartedAt, expiresAt: new Date(Date.now() + 3_600_000) },
    })
    try {
      // r1's request is gone (the learner closed the tab): nothing keeps its place any more.
      const left = new AbortController()
      left.abort()
      const leaving = openSandbox('r1', { lessonKey: 'docker/queue', signal: left.signal })
      void leaving.catch(() => undefined)
      await new Promise((r) => setTimeout(r, 300))
      const staying = openSandbox('r2', { lessonKey: 'docker/queue' })
      await new Promise((r) => setTimeout(r, 1000))
      expect(await startProgress('r2', placement)).toEqual({ phase: 'queued', ahead: 1 })

      await expect(leaving).rejects.toBeInstanceOf(SandboxNotRunningError)
      const dropped = await db.sandbox.findFirst({ where: { userId: 'r1' }, orderBy: { createdAt: 'desc' } })
      expect(dropped).toMatchObject({ status: 'ended', endReason: 'abandoned', startedAt: null })
      expect(await startProgress('r2', placement)).toEqual({ phase: 'queued', ahead: 0 })

      const view = await staying
      expect(view.status).toBe('running')
      // It left the queue only once the stuck start stopped counting.
      const started = await db.sandbox.findUnique({ where: { id: view.id }, select: { startedAt: true } })
      expect(started?.startedAt?.getTime()).toBeGreaterThanOrEqual(ghostSlotEnds)
    } finally {
      await db.sandbox.updateMany({ where: { id: ghostId }, data: { status: 'failed', endedAt: new Date() } })
    }
  })
})
