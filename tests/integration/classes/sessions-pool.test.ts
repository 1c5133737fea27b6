// Scheduled class sessions on the real Docker engine and database: the runtime's pool tick
// (fillPool) warms one sandbox of the lesson's layout per student without one when a session
// starts within the lead time, not before; students claim them; after the session's window the
// pool shrinks back. Also scheduling and deleting (instructors of the class only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { ClassError } from '../../../lib/classes/errors'
import { deleteClassSession, listClassSessions, scheduleClassSession } from '../../../lib/classes/sessions.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { fillPool } from '../../../lib/sandbox/runtime.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { sandboxPlacement } from '../../../lib/sandbox/state.server'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'

withTestNamespace('sessions', { poolSize: 0, startConcurrency: 2, sessionLeadMinutes: 5, sessionWindowMinutes: 120 })

const course = 'application-multi-services'
const lesson = 'api-et-image'
const students = ['ss1', 'ss2', 'ss3']
const teacher = { id: 'st-teacher', role: 'instructor' as const }
const stranger = { id: 'st-stranger', role: 'instructor' as const }
const minutes = (n: number) => n * 60_000

async function pooled() {
  const db = await getDb()
  const config = sandboxConfig()
  return db.sandbox.findMany({ where: { placement: sandboxPlacement().name, userId: config.poolUserId, fromPool: true, status: { in: ['starting', 'running'] } }, select: { id: true, layoutKey: true, status: true } })
}

describe.sequential('scheduled class sessions warm the pool', () => {
  let classId = ''

  beforeAll(async () => {
    const db = await getDb()
    for (const u of [...students, teacher.id, stranger.id]) await createUser(u)
    await db.user.updateMany({ where: { id: { in: [teacher.id, stranger.id] } }, data: { role: 'instructor' } })
    const classroom = await db.classroom.create({
      data: {
        name: 'Burst class',
        joinCode: `BURST${process.pid}`.slice(0, 10),
        courses: { create: [{ courseSlug: course }] },
        instructors: { create: [{ userId: teacher.id }] },
        members: { create: students.map((userId) => ({ userId })) },
      },
    })
    classId = classroom.id
  })

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('schedules only hands-on lessons of the class, in the future, for its instructors; and deletes', async () => {
    const soon = new Date(Date.now() + minutes(60)).toISOString()
    await expect(scheduleClassSession(classId, stranger, { courseSlug: course, lessonSlug: lesson, startsAt: soon })).rejects.toMatchObject({ code: 'not_class_instructor' })
    await expect(scheduleClassSession(classId, teacher, { courseSlug: course, lessonSlug: lesson, startsAt: new Date(Date.now() - 1000).toISOString() })).rejects.toMatchObject({ code: 'session_in_past' })
    await expect(scheduleClassSession(classId, teacher, { courseSlug: 'docker-fondamentaux', lessonSlug: lesson, startsAt: soon })).rejects.toBeInstanceOf(ClassError)
    await expect(scheduleClassSession(classId, teacher, { courseSlug: course, lessonSlug: 'no-such-lesson', startsAt: soon })).rejects.toMatchObject({ code: 'lesson_not_found' })

    const { id } = await scheduleClassSession(classId, teacher, { courseSlug: course, lessonSlug: lesson, startsAt: soon })
    expect((await listClassSessions(classId, teacher, 120)).map((s) => s.id)).toEqual([id])
    await expect(deleteClassSession(classId, stranger, id)).rejects.toMatchObject({ code: 'not_class_instructor' })
    await deleteClassSession(classId, teacher, id)
    expect(await listClassSessions(classId, teacher, 120)).toEqual([])
    await expect(deleteClassSession(classId, teacher, id)).rejects.toMatchObject({ code: 'session_not_found' })
  })

  it('warms nothing for a session beyond the lead time, one per student within it, and shrinks after the window', async () => {
    const db = await getDb()
    const startsAt = new Date(Date.now() + minutes(30))
    await db.classSession.create({ data: { classroomId: classId, courseSlug: course, lessonSlug: lesson, startsAt } })

    // 30 minutes before: outside the 5-minute lead.
    expect(await fillPool(new Date(startsAt.getTime() - minutes(30)))).toBe(0)
    expect(await pooled()).toEqual([])

    // 3 minutes before: one per student, of the lesson's layout.
    expect(await fillPool(new Date(startsAt.getTime() - minutes(3)))).toBe(students.length)
    const warm = await pooled()
    expect(warm).toHaveLength(students.length)
    expect(warm.every((s) => s.status === 'running' && s.layoutKey === 'single')).toBe(true)

    // A student opens the lab: a warmed sandbox is theirs at once, and no other is made for them.
    const mine = await openSandbox('ss1', { lessonKey: `${course}/${lesson}`, layout: { nodes: [{ name: 'node1', role: 'standalone' }] } })
    expect(warm.map((s) => s.id)).toContain(mine.id)
    expect(await fillPool(new Date(startsAt.getTime() + minutes(10)))).toBe(0)
    expect(await pooled()).toHaveLength(students.length - 1)

    // After the session's window the unclaimed ones are ended; the claimed one stays its student's.
    expect(await fillPool(new Date(startsAt.getTime() + minutes(121)))).toBe(0)
    expect(await pooled()).toEqual([])
    const claimed = await db.sandbox.findUnique({ where: { id: mine.id }, select: { status: true, userId: true } })
    expect(claimed).toEqual({ status: 'running', userId: 'ss1' })
  })
})
