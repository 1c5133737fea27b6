// A class burst without copies at claim time, on the real Docker engine and database: the pool
// tick (fillPool) warms a scheduled session's sandboxes with its lesson's files, and the
// student's open (openSandboxForLesson) of that lesson copies nothing; another lesson of the
// same layout still gets its files. A node that cannot take the files (its disk full, for
// real) answers 503 sandbox_busy after one retry, and the sandbox stays the student's: once
// there is room, the same open succeeds in the same sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getLesson } from '../../../lib/content/lessons.server'
import { lessonWorkdir } from '../../../lib/content/paths'
import { lessonWorkspace } from '../../../lib/content/workspace'
import { getDb } from '../../../lib/db/client.server'
import { apiErrorOf } from '../../../lib/http/api.server'
import { SandboxBusyError } from '../../../lib/sandbox/types'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { fillPool } from '../../../lib/sandbox/runtime.server'
import { openSandboxForLesson } from '../../../lib/workspace/service.server'
import { cleanUpNamespace, createUser, setConfig, withTestNamespace } from '../sandbox/support'

withTestNamespace('seeding', { poolSize: 0, startConcurrency: 2, sessionLeadMinutes: 5, sessionWindowMinutes: 120 })

const course = 'application-multi-services'
const lesson = 'api-et-image'
const other = 'cache-et-ttl'
const students = ['sd1', 'sd2']
const minutes = (n: number) => n * 60_000
const student = (id: string) => ({ id, email: `${id}@test.quai.invalid`, name: id, role: 'student' as const })
const starterFiles = (slug: string) => lessonWorkspace(getLesson(course, slug)!).filter((e) => e.kind === 'file').map((e) => e.rel)

async function filesIn(sandboxId: string, slug: string): Promise<string[]> {
  const r = await execInNode(sandboxId, 'node1', ['sh', '-c', `cd ${lessonWorkdir(slug)} 2>/dev/null && find . -type f | sed 's#^\\./##' | sort`])
  return r.stdout.split('\n').filter(Boolean)
}

describe.sequential('a scheduled session warms its sandboxes with the lesson files', () => {
  let startsAt = new Date()

  beforeAll(async () => {
    const db = await getDb()
    for (const u of students) await createUser(u)
    const classroom = await db.classroom.create({
      data: { name: 'Seeded class', joinCode: `SEED${process.pid}`.slice(0, 10), courses: { create: [{ courseSlug: course }] }, members: { create: students.map((userId) => ({ userId })) } },
    })
    startsAt = new Date(Date.now() + minutes(3))
    await db.classSession.create({ data: { classroomId: classroom.id, courseSlug: course, lessonSlug: lesson, startsAt } })
  })

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('seeds the warmed sandboxes; the claim for that lesson copies nothing, one for another lesson does', async () => {
    const db = await getDb()
    expect(starterFiles(lesson).length).toBeGreaterThan(0)
    expect(await fillPool(new Date(startsAt.getTime() - minutes(3)))).toBe(students.length)
    const warm = await db.sandbox.findMany({ where: { fromPool: true, status: 'running', userId: { notIn: students } }, select: { id: true, seededLessonKey: true } })
    expect(warm).toHaveLength(students.length)
    expect(warm.every((w) => w.seededLessonKey === `${course}/${lesson}`)).toBe(true)
    for (const w of warm) expect(await filesIn(w.id, lesson)).toEqual([...starterFiles(lesson)].sort())

    // One starter file removed from both warm sandboxes: a copy at claim time would put it back.
    const [removed] = starterFiles(lesson)
    for (const w of warm) expect((await execInNode(w.id, 'node1', ['rm', `${lessonWorkdir(lesson)}/${removed}`])).exitCode).toBe(0)

    const mine = await openSandboxForLesson(student('sd1'), { courseSlug: course, lessonSlug: lesson })
    expect(warm.map((w) => w.id)).toContain(mine.id)
    const files = await filesIn(mine.id, lesson)
    expect(files).not.toContain(removed)
    expect(files).toEqual(starterFiles(lesson).filter((f) => f !== removed).sort())
    // The mark is used up by the claim: opening the lesson again copies (and restores the file).
    expect((await db.sandbox.findUnique({ where: { id: mine.id } }))?.seededLessonKey).toBeNull()
    await openSandboxForLesson(student('sd1'), { courseSlug: course, lessonSlug: lesson })
    expect(await filesIn(mine.id, lesson)).toContain(removed)

    // Another lesson of the same layout claims the other warm sandbox: its own files are copied.
    const theirs = await openSandboxForLesson(student('sd2'), { courseSlug: course, lessonSlug: other })
    expect(warm.map((w) => w.id)).toContain(theirs.id)
    expect(await filesIn(theirs.id, other)).toEqual([...starterFiles(other)].sort())
  })

  it('answers 503 sandbox_busy when a node cannot take the files, and the same sandbox works on retry', async () => {
    const body = { courseSlug: course, lessonSlug: other }
    // Sandboxes not kept: one sandbox serves both lessons, so the second lesson's files go into
    // the same node (with keeping on, each lesson has a sandbox of its own: docs/persistence.md).
    setConfig({ keepDays: 0 })
    const mine = await openSandboxForLesson(student('sd1'), { courseSlug: course, lessonSlug: lesson })
    // The node's disk full, for real: nothing more can be written in the lesson folder (btrfs
    // keeps a reserve that df still counts as free, so the proof is a write that fails).
    await execInNode(mine.id, 'node1', ['bash', '-c', 'cd /root && avail=$(df --output=avail -B1 . | tail -1); fallocate -l $((avail - 65536)) fill; dd if=/dev/zero of=fill2 bs=4k 2>/dev/null; true'])
    expect((await execInNode(mine.id, 'node1', ['bash', '-c', 'head -c 65536 /dev/zero > /root/probe'])).exitCode).not.toBe(0)
    const refused = await openSandboxForLesson(student('sd1'), body).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(SandboxBusyError)
    expect(apiErrorOf(refused)).toMatchObject({ status: 503, code: 'sandbox_busy', details: { retryAfterSeconds: 5 } })

    const db = await getDb()
    expect(await db.sandbox.findUnique({ where: { id: mine.id }, select: { userId: true, status: true } })).toEqual({ userId: 'sd1', status: 'running' })
    expect((await execInNode(mine.id, 'node1', ['rm', '-f', '/root/fill', '/root/fill2', '/root/probe'])).exitCode).toBe(0)
    const again = await openSandboxForLesson(student('sd1'), body)
    expect(again.id).toBe(mine.id)
    expect(await filesIn(mine.id, other)).toEqual([...starterFiles(other)].sort())
    setConfig({ keepDays: 14 })
  })
})
