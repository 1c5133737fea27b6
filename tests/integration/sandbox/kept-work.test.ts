// A learner's work kept between sandboxes, through lib/sandbox's lifecycle (docs/persistence.md),
// on the real Docker engine: another lesson keeps the first one's sandbox; opening it again
// resumes files and running containers; steps go back to a passed exercise; a reset, the
// retention and the quotas remove kept disks; a damaged one gives a fresh sandbox; a stop that
// died half-way is finished by the reaper; nobody reaches another learner's steps.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreStudentStep, studentWork } from '../../../lib/classes/student-work.server'
import { getDb } from '../../../lib/db/client.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { discardKeptWork, keptWorkForLesson, keptWorkOf, maintainKeptDisks, restoreToStep, stepsOfSandbox, takeStep } from '../../../lib/sandbox/kept.server'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { endSandboxesWithDeadNodes, reapExpiredSandboxes, reconcileSandboxes } from '../../../lib/sandbox/runtime.server'
import { openSandbox, resetSandbox, stopSandbox } from '../../../lib/sandbox/sandboxes.server'
import { sandboxPlacement } from '../../../lib/sandbox/state.server'
import { SandboxNotYoursError, StepNotFoundError } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, leftovers, nothingLeft, setConfig, until, withTestNamespace } from './support'

withTestNamespace('keptwork')

const A = 'docker/premiers-pas'
const B = 'docker/images'

async function sh(sandboxId: string, script: string): Promise<string> {
  const r = await execInNode(sandboxId, 'node1', ['sh', '-ec', script], { timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr || r.stdout}`)
  return r.stdout.trim()
}

async function diskOf(sandboxId: string) {
  const db = await getDb()
  const row = await db.sandbox.findUniqueOrThrow({ where: { id: sandboxId }, select: { diskId: true } })
  return db.sandboxDisk.findUniqueOrThrow({ where: { id: row.diskId ?? '' } })
}

describe.sequential('work kept between sandboxes', () => {
  let first = ''
  beforeAll(async () => {
    for (const u of ['kim', 'lou', 'max', 'nia', 'ned', 'tea', 'tom']) await createUser(u)
  })
  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('keeps a lesson\'s sandbox when the learner opens another lesson, and resumes it with files and running containers', async () => {
    const a = await openSandbox('kim', { lessonKey: A })
    first = a.id
    expect(a.resumedFrom ?? null).toBeNull()
    await sh(a.id, `echo mine > /root/lab/note.txt; docker run -d --name web busybox sleep 3600 >/dev/null`)

    const b = await openSandbox('kim', { lessonKey: B })
    expect(b.id).not.toBe(a.id)
    await until('the first disk kept', async () => (await diskOf(a.id)).status === 'kept')
    const kept = await diskOf(a.id)
    expect(kept.keptKb).toBeGreaterThan(0)
    expect(kept.expiresAt!.getTime() - kept.keptAt!.getTime()).toBe(sandboxConfig().keepDays * 86_400_000)
    expect(await leftovers(a.id)).toEqual(nothingLeft)
    const work = await keptWorkForLesson('kim', A)
    expect(work).toMatchObject({ lessonKey: A, status: 'kept', expiresSoon: false })

    const again = await openSandbox('kim', { lessonKey: A })
    expect(again.id).not.toBe(a.id)
    expect(again.resumedFrom?.getTime()).toBe(kept.keptAt!.getTime())
    // Its own files are not seeded over the learner's.
    expect(again.lessonFilesSeeded).toBe(true)
    expect(await sh(again.id, `cat /root/lab/note.txt; docker ps --format '{{.Names}}'`)).toBe('mine\nweb')
    expect((await diskOf(again.id)).id).toBe(kept.id)
    first = again.id
    // B's sandbox was kept in turn.
    await until('the second disk kept', async () => (await diskOf(b.id)).status === 'kept')
  })

  it('takes a step when an exercise passes and goes back to it; nobody else reaches it', async () => {
    const step = await takeStep(first, A, 'premier-conteneur')
    expect(step).not.toBeNull()
    await sh(first, `echo changed > /root/lab/note.txt; docker rm -f web >/dev/null`)
    const steps = await stepsOfSandbox('kim', first)
    expect(steps.map((s) => [s.lessonKey, s.exerciseId])).toEqual([[A, 'premier-conteneur']])

    await expect(restoreToStep('lou', step!.id)).rejects.toBeInstanceOf(StepNotFoundError)
    await expect(stepsOfSandbox('lou', first)).rejects.toBeInstanceOf(SandboxNotYoursError)
    await expect(restoreToStep('kim', 'nosuchstep01')).rejects.toBeInstanceOf(StepNotFoundError)

    // The runtime's health tick runs meanwhile: the nodes stopped on purpose are not dead nodes.
    let restoring = true
    const ticks = (async () => {
      const ended: string[] = []
      while (restoring) {
        ended.push(...(await endSandboxesWithDeadNodes()).map((e) => e.id))
        await new Promise((r) => setTimeout(r, 100))
      }
      return ended
    })()
    await restoreToStep('kim', step!.id).finally(() => (restoring = false))
    expect(await ticks).not.toContain(first)
    expect(await sh(first, `cat /root/lab/note.txt; docker ps --format '{{.Names}}'`)).toBe('mine\nweb')

    // An instructor of kim's class sees the step and puts the sandbox back to it; another does not.
    const db = await getDb()
    await db.user.updateMany({ where: { id: { in: ['tea', 'tom'] } }, data: { role: 'instructor' } })
    const classroom = await db.classroom.create({
      data: {
        name: 'Persistance',
        joinCode: `KW${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
        courses: { create: [{ courseSlug: A.split('/')[0]!, position: 0 }] },
        instructors: { create: [{ userId: 'tea' }] },
        members: { create: [{ userId: 'kim' }] },
      },
    })
    // A class of kim's that does not follow this course: its instructor sees no step of it, and cannot restore one.
    const elsewhere = await db.classroom.create({
      data: { name: 'Ailleurs', joinCode: `KY${Math.random().toString(36).slice(2, 10).toUpperCase()}`, courses: { create: [{ courseSlug: 'swarm', position: 0 }] }, instructors: { create: [{ userId: 'tea' }] }, members: { create: [{ userId: 'kim' }] } },
    })
    const other = await db.classroom.create({ data: { name: 'Autre', joinCode: `KX${Math.random().toString(36).slice(2, 10).toUpperCase()}`, instructors: { create: [{ userId: 'tom' }] } } })
    const teacher = { id: 'tea', role: 'instructor' as const }
    expect((await studentWork(classroom.id, teacher, 'kim')).steps.map((s) => s.id)).toEqual([step!.id])
    expect((await studentWork(elsewhere.id, teacher, 'kim')).steps).toEqual([])
    await expect(restoreStudentStep(elsewhere.id, teacher, 'kim', step!.id)).rejects.toBeInstanceOf(StepNotFoundError)
    await sh(first, 'echo helped > /root/lab/note.txt')
    await restoreStudentStep(classroom.id, teacher, 'kim', step!.id)
    expect(await sh(first, 'cat /root/lab/note.txt')).toBe('mine')
    await expect(restoreStudentStep(other.id, { id: 'tom', role: 'instructor' }, 'kim', step!.id)).rejects.toThrow()
    await expect(restoreStudentStep(classroom.id, { id: 'tom', role: 'instructor' }, 'kim', step!.id)).rejects.toThrow()
    await expect(studentWork(other.id, { id: 'tom', role: 'instructor' }, 'kim')).rejects.toThrow(/not in the class/)
    // Passing again replaces the step (one per exercise).
    const again = await takeStep(first, A, 'premier-conteneur')
    expect((await stepsOfSandbox('kim', first)).map((s) => s.id)).toEqual([again!.id])
  })

  it('keeps the disk of a sandbox reaped idle, and removes it on a reset', async () => {
    const db = await getDb()
    await db.sandbox.update({ where: { id: first }, data: { lastActivityAt: new Date(Date.now() - 3 * 3600_000) } })
    expect((await reapExpiredSandboxes()).ended).toContainEqual({ id: first, reason: 'idle' })
    const kept = await diskOf(first)
    expect(kept.status).toBe('kept')
    expect(kept.keptKb).toBeGreaterThan(0)

    const resumed = await openSandbox('kim', { lessonKey: A })
    expect(await sh(resumed.id, 'cat /root/lab/note.txt')).toBe('mine')
    const fresh = await resetSandbox('kim', resumed.id)
    expect((await diskOf(resumed.id)).status).toBe('removed')
    expect((await diskOf(resumed.id)).removeReason).toBe('reset')
    expect(await db.sandboxStep.count({ where: { diskId: kept.id } })).toBe(0)
    expect(fresh.resumedFrom ?? null).toBeNull()
    expect(await sh(fresh.id, 'ls /root/lab; docker ps -q')).not.toMatch(/note\.txt/)
    await stopSandbox('kim', fresh.id)
  })

  it('gives a fresh sandbox, and says so, when the kept disk is damaged', async () => {
    const a = await openSandbox('lou', { lessonKey: A })
    await stopSandbox('lou', a.id)
    const disk = await diskOf(a.id)
    expect(disk.status).toBe('kept')
    // Its filesystem is gone (written over).
    fs.writeFileSync(path.join(sandboxConfig().keptDir, disk.id, 'disk.img'), Buffer.alloc(4 * 1024 * 1024, 1))
    const again = await openSandbox('lou', { lessonKey: A })
    expect(again.status).toBe('running')
    expect(again.keptWorkLost).toBe(true)
    expect(again.resumedFrom ?? null).toBeNull()
    expect((await (await getDb()).sandboxDisk.findUniqueOrThrow({ where: { id: disk.id } })).status).toBe('broken')
    expect((await sandboxPlacement().listKept()).map((d) => d.diskId)).not.toContain(disk.id)
    await stopSandbox('lou', again.id)
  })

  it('removes kept disks past their retention, then the least recently used past a learner\'s quota, then past the host\'s', async () => {
    const db = await getDb()
    const a = await openSandbox('max', { lessonKey: A })
    const b = await openSandbox('max', { lessonKey: B })
    await stopSandbox('max', b.id)
    await until('both kept', async () => (await diskOf(a.id)).status === 'kept' && (await diskOf(b.id)).status === 'kept')
    expect((await keptWorkOf('max')).map((w) => w.lessonKey)).toEqual([B, A])

    // A's is older: past a quota that holds one of them, it goes first.
    await db.sandboxDisk.update({ where: { id: (await diskOf(a.id)).id }, data: { lastUsedAt: new Date(Date.now() - 86_400_000), keptKb: 40 * 1024 } })
    await db.sandboxDisk.update({ where: { id: (await diskOf(b.id)).id }, data: { keptKb: 40 * 1024 } })
    setConfig({ keepUserMb: 64 })
    const quota = await maintainKeptDisks()
    setConfig({ keepUserMb: 20_480 })
    expect(quota.overUserQuota).toEqual([(await diskOf(a.id)).id])
    expect((await diskOf(a.id)).removeReason).toBe('quota_user')

    // The host's quota, across learners: another learner's older kept work goes first.
    const c = await openSandbox('nia', { lessonKey: A })
    await stopSandbox('nia', c.id)
    await until('nia\'s kept', async () => (await diskOf(c.id)).status === 'kept')
    await db.sandboxDisk.update({ where: { id: (await diskOf(c.id)).id }, data: { lastUsedAt: new Date(Date.now() - 3_600_000), keptKb: 40 * 1024 } })
    setConfig({ keepHostMb: 64 })
    const host = await maintainKeptDisks()
    setConfig({ keepHostMb: null })
    expect(host.overUserQuota).toEqual([])
    expect(host.overHostQuota).toEqual([(await diskOf(c.id)).id])
    expect((await diskOf(c.id)).removeReason).toBe('quota_host')
    expect((await sandboxPlacement().listKept()).map((d) => d.diskId)).not.toContain((await diskOf(c.id)).id)
    expect((await diskOf(b.id)).status).toBe('kept')

    // Within the warning days it says so; past its retention it is removed from its host.
    const bDisk = await diskOf(b.id)
    await db.sandboxDisk.update({ where: { id: bDisk.id }, data: { expiresAt: new Date(Date.now() + 3600_000) } })
    expect((await keptWorkForLesson('max', B))?.expiresSoon).toBe(true)
    const expired = await maintainKeptDisks(new Date(Date.now() + 2 * 3600_000))
    expect(expired.expired).toEqual([bDisk.id])
    expect((await sandboxPlacement().listKept()).map((d) => d.diskId)).not.toContain(bDisk.id)
    expect(await keptWorkOf('max')).toEqual([])
  })

  it('finishes a keep that a crash interrupted, and reconcile keeps a disk whose row was lost mid-way', async () => {
    const db = await getDb()
    const a = await openSandbox('ned', { lessonKey: A })
    await sh(a.id, 'echo before-crash > /root/lab/note.txt')
    // The instance that was stopping it died right after marking it (the reaper's job).
    await db.sandbox.update({ where: { id: a.id }, data: { status: 'stopping', endReason: 'idle', endedAt: new Date(Date.now() - 120_000) } })
    await db.sandboxDisk.update({ where: { id: (await diskOf(a.id)).id }, data: { status: 'keeping' } })
    expect((await reapExpiredSandboxes()).retried).toContain(a.id)
    expect((await diskOf(a.id)).status).toBe('kept')
    expect(await leftovers(a.id)).toEqual(nothingLeft)

    // A crash after the host kept nothing yet, with the sandbox row already ended: reconcile keeps it.
    const b = await openSandbox('ned', { lessonKey: A })
    expect(await sh(b.id, 'cat /root/lab/note.txt')).toBe('before-crash')
    await db.sandbox.update({ where: { id: b.id }, data: { status: 'ended', endReason: 'lost' } })
    const r = await reconcileSandboxes()
    expect(r.kept).toEqual([b.id])
    expect((await diskOf(b.id)).status).toBe('kept')
    expect(await leftovers(b.id)).toEqual(nothingLeft)
    // An image no row knows is removed; a kept row whose image is gone is broken.
    fs.mkdirSync(path.join(sandboxConfig().keptDir, 'strayimage01'), { recursive: true })
    fs.writeFileSync(path.join(sandboxConfig().keptDir, 'strayimage01', 'disk.img'), 'x')
    fs.rmSync(path.join(sandboxConfig().keptDir, (await diskOf(b.id)).id), { recursive: true })
    const again = await reconcileSandboxes()
    expect(again.removedDisks).toEqual(['strayimage01'])
    expect(again.brokenDisks).toEqual([(await diskOf(b.id)).id])
    expect(await discardKeptWork('ned', A)).toBe(false)
  })
})
