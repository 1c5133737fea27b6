// Downloading kept work without resuming it (docs/persistence.md): the route handler streams the
// lab folders read from the kept disk, mounted read-only on its host, on the real Docker engine;
// only the session lookup is replaced (a route handler outside Next has no cookie to read).
// Another learner, or a lesson without kept work, gets 404; a resume started during a download
// waits for it and finds the work whole; a disk that runs or is already being read gets 409; no
// mount nor loop device is left behind.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type * as SessionModule from '../../../lib/auth/session.server'
import type { SessionUser } from '../../../lib/auth/session.server'
import { createClass, joinClass } from '../../../lib/classes/classes.server'
import { getDb } from '../../../lib/db/client.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { readMounts } from '../../../lib/sandbox/host.server'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { openSandbox, stopSandbox } from '../../../lib/sandbox/sandboxes.server'
import { cleanUpNamespace, createUser, until, withTestNamespace } from './support'

withTestNamespace('keptdl')

const session = vi.hoisted(() => ({ user: null as SessionUser | null }))
vi.mock('../../../lib/auth/session.server', async (importOriginal) => {
  const actual = await importOriginal<typeof SessionModule>()
  return {
    ...actual,
    requireApiUser: async (role?: SessionUser['role']) => {
      if (!session.user) throw new actual.AuthError(401, 'sign-in required')
      if (role === 'instructor' && session.user.role !== 'instructor') throw new actual.AuthError(403, 'instructors only')
      return session.user
    },
  }
})

const A = 'docker/premiers-pas'
const as = (id: string) => (session.user = { id, name: id, email: `${id}@test.quai.invalid`, role: 'student' } as SessionUser)

async function sh(sandboxId: string, script: string): Promise<string> {
  const r = await execInNode(sandboxId, 'node1', ['sh', '-ec', script], { timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr || r.stdout}`)
  return r.stdout.trim()
}

async function download(course = 'docker', lesson = 'premiers-pas'): Promise<Response> {
  const { GET } = await import('../../../app/api/kept-work/archive/route')
  return GET(new Request(`http://quai.test/api/kept-work/archive?course=${course}&lesson=${lesson}`))
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array[] = []): Promise<Buffer> {
  const chunks = [...first]
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

function untar(archive: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-kept-dl-'))
  execFileSync('tar', ['-xzf', '-', '-C', dir], { input: archive })
  return dir
}

async function diskRow(userId: string) {
  const db = await getDb()
  return db.sandboxDisk.findFirstOrThrow({ where: { userId, scopeKey: `lesson:${A}` }, orderBy: { createdAt: 'desc' } })
}

/** Mounts of the kept folder and loop devices backed by an image under it. */
function keptMountsAndLoops(): { mounts: string[]; loops: string[] } {
  const keptDir = sandboxConfig().keptDir
  const mounts = readMounts().map((m) => m.mountPoint).filter((m) => m.startsWith(keptDir))
  const loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(keptDir))
  return { mounts, loops }
}

describe.sequential('downloading kept work without resuming it', () => {
  const content = `mon travail ${process.pid} ${Date.now()}`
  beforeAll(async () => {
    for (const u of ['dina', 'eli']) await createUser(u)
  })
  afterAll(async () => {
    session.user = null
    await cleanUpNamespace()
  })

  it('streams the lesson folder read from the kept disk, and leaves no mount nor loop device', async () => {
    const a = await openSandbox('dina', { lessonKey: A })
    // 8 MiB that do not compress: the archive outlasts the pipes' buffers, so a reader that stops holds the read open.
    await sh(a.id, `mkdir -p /root/lab/premiers-pas/sub && printf '%s' '${content}' > /root/lab/premiers-pas/sub/note.txt && head -c 8388608 /dev/urandom > /root/lab/premiers-pas/big.bin`)
    await stopSandbox('dina', a.id)
    await until('the disk kept', async () => (await diskRow('dina')).status === 'kept')
    const before = keptMountsAndLoops()

    as('dina')
    const response = await download()
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/gzip')
    expect(response.headers.get('content-disposition')).toContain('premiers-pas')
    const dir = untar(await readAll(response.body!.getReader()))
    expect(fs.readFileSync(path.join(dir, 'node1', 'premiers-pas', 'sub', 'note.txt'), 'utf8')).toBe(content)
    expect(fs.statSync(path.join(dir, 'node1', 'premiers-pas', 'big.bin')).size).toBe(8388608)
    fs.rmSync(dir, { recursive: true, force: true })

    // Read only: nothing started, and the disk is kept again once the stream is over.
    await until('the mark released', async () => (await diskRow('dina')).status === 'kept')
    const db = await getDb()
    expect(await db.sandbox.count({ where: { userId: 'dina', status: { in: ['starting', 'running'] } } })).toBe(0)
    expect(keptMountsAndLoops()).toEqual(before)
    expect(before).toEqual({ mounts: [], loops: [] })
  })

  it('answers 404 to another learner and for a lesson without kept work', async () => {
    as('eli')
    const other = await download()
    expect(other.status).toBe(404)
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('kept_not_found')
    as('dina')
    expect((await download('docker', 'images')).status).toBe(404)
    expect((await download('docker', '..%2Fetc')).status).toBe(422)
  })

  it("gives the student's kept work to an instructor of their class, and to nobody else through that route", async () => {
    for (const u of ['ines', 'olga']) await createUser(u)
    const instructor = (id: string) => ({ id, role: 'instructor' as const })
    const classroom = await createClass(instructor('ines'), { name: `Téléchargement ${process.pid}`, courses: ['reseaux-docker'] })
    await joinClass({ id: 'dina' }, classroom.joinCode)
    const { GET } = await import('../../../app/api/classes/[id]/students/[userId]/kept-work/archive/route')
    const asInstructor = (id: string, studentId = 'dina') => {
      session.user = { id, name: id, email: `${id}@test.quai.invalid`, role: 'instructor' } as SessionUser
      return GET(new Request(`http://quai.test/api/classes/${classroom.id}/students/${studentId}/kept-work/archive?course=docker&lesson=premiers-pas`), {
        params: Promise.resolve({ id: classroom.id, userId: studentId }),
      })
    }

    // The work is in a course the class does not follow: not the class's to see.
    const outside = await asInstructor('ines')
    expect(outside.status).toBe(404)
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('kept_not_found')
    // The class follows the lesson's course (this test's lesson key is not in content/, hence the row by hand).
    const db = await getDb()
    await db.classroomCourse.create({ data: { classroomId: classroom.id, courseSlug: 'docker', position: 1 } })

    const given = await asInstructor('ines')
    expect(given.status).toBe(200)
    const dir = untar(Buffer.from(await given.arrayBuffer()))
    expect(fs.readFileSync(path.join(dir, 'node1', 'premiers-pas', 'sub', 'note.txt'), 'utf8')).toBe(content)
    fs.rmSync(dir, { recursive: true, force: true })
    await until('the mark released', async () => (await diskRow('dina')).status === 'kept')

    // Another instructor, a learner who is not in the class, a student of the class: refused.
    expect((await asInstructor('olga')).status).toBe(403)
    expect((await asInstructor('ines', 'eli')).status).toBe(404)
    as('eli')
    const byStudent = await GET(new Request(`http://quai.test/api/classes/${classroom.id}/students/dina/kept-work/archive?course=docker&lesson=premiers-pas`), {
      params: Promise.resolve({ id: classroom.id, userId: 'dina' }),
    })
    expect(byStudent.status).toBe(403)
    expect((await diskRow('dina')).status).toBe('kept')
  })

  it('makes a resume started during a download wait, refuses a second download, and resumes the work whole', async () => {
    as('dina')
    const response = await download()
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    expect((await diskRow('dina')).status).toBe('reading')

    // A second download of the same disk meanwhile: 409, said clearly.
    const second = await download()
    expect(second.status).toBe(409)
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('kept_busy')

    // The learner opens the lesson meanwhile: the resume waits for the download.
    const resumed = openSandbox('dina', { lessonKey: A })
    await new Promise((r) => setTimeout(r, 1500))
    expect((await diskRow('dina')).status).toBe('reading')
    const archive = await readAll(reader, [first.value!])
    const sandbox = await resumed
    expect(sandbox.resumedFrom).toBeTruthy()
    expect(await sh(sandbox.id, 'cat /root/lab/premiers-pas/sub/note.txt')).toBe(content)
    const dir = untar(archive)
    expect(fs.readFileSync(path.join(dir, 'node1', 'premiers-pas', 'sub', 'note.txt'), 'utf8')).toBe(content)
    fs.rmSync(dir, { recursive: true, force: true })

    // Running now: a download of the kept work is refused (the Files tab has it).
    const running = await download()
    expect(running.status).toBe(409)
    expect(((await running.json()) as { error: { code: string; message: string } }).error.message).toContain('Files tab')
    expect(keptMountsAndLoops().mounts).toEqual([])
    await stopSandbox('dina', sandbox.id)
  })

  it('unmounts and releases the disk when the reader goes away half-way', async () => {
    await until('the disk kept again', async () => (await diskRow('dina')).status === 'kept')
    as('dina')
    const response = await download()
    const reader = response.body!.getReader()
    expect((await reader.read()).done).toBe(false)
    expect(keptMountsAndLoops().mounts).toHaveLength(1)
    await reader.cancel()
    await until('the mount and its loop device gone', async () => {
      const left = keptMountsAndLoops()
      return left.mounts.length === 0 && left.loops.length === 0
    }, 15_000)
    // The mark outlives the host's unmount by a few seconds, then the work is kept as before.
    await until('the mark released', async () => (await diskRow('dina')).status === 'kept', 15_000)
    expect((await diskRow('dina')).readingSince).toBeNull()
  })
})
