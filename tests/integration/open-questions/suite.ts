import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, test } from 'vitest'
import type * as SessionModule from '@/lib/auth/session.server'
import type { SessionUser } from '@/lib/auth/session.server'
import type { Db } from '@/lib/db/client.server'
import type * as AnswerRoute from '@/app/api/lessons/[course]/[lesson]/open-questions/[question]/route'
import type * as FileRoute from '@/app/api/open-answers/[answerId]/file/route'
import type * as QueueRoute from '@/app/api/classes/[id]/open-answers/route'
import type * as GradeRoute from '@/app/api/classes/[id]/open-answers/[answerId]/grade/route'
import type * as CsvRoute from '@/app/api/classes/[id]/open-answers/export/route'

// Open answers through the real route handlers on a real database (SQLite or PostgreSQL, as
// DATABASE_URL names), on the fixture question demo/quiz-lesson#schema-reseau (text and/or one
// file of 1 MB at most; rubric dns 3 + clarte 2). Only the session is chosen by the test, per
// call (session.user, set by the test file's mock of requireApiUser). Above all it proves who
// may read and write what: a learner only their own answers, a class's instructors only its
// members' handed-in answers.

export const session: { user: SessionUser | null } = { user: null }

/** The test files' mock of lib/auth/session.server: requireApiUser answers with session.user. */
export function sessionModuleWithTestUser(actual: typeof SessionModule): typeof SessionModule {
  return {
    ...actual,
    requireApiUser: async (role?: string) => {
      if (!session.user) throw new actual.AuthError(401, 'sign-in required')
      if (role === 'instructor' && session.user.role !== 'instructor') throw new actual.AuthError(403, 'instructors only')
      return session.user
    },
  } as typeof SessionModule
}

type Routes = { answer: typeof AnswerRoute; file: typeof FileRoute; queue: typeof QueueRoute; grade: typeof GradeRoute; csv: typeof CsvRoute }
type Refusal = { error: { code: string; fields?: { field: string; message: string }[] } }
type Own = { answer: null | { id: string; status: string; text: string; file: null | { name: string; contentType: string; size: number; url: string }; submissions: number; grade: null | { points: number; maxPoints: number; feedback: string; gradedBy: string | null; criteria: Record<string, number> }; editable: boolean; lockedReason: string | null }; lockedReason: string | null }
type Queue = { answers: { id: string; student: { id: string }; status: string; text: string; inExamWindow: boolean; submissions: number; grade: null | { points: number } }[] }

const question = { course: 'demo', lesson: 'quiz-lesson', question: 'schema-reseau' }
const questionKey = 'demo/quiz-lesson/schema-reseau'
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 1, 2, 3, 4])

async function as<T>(user: SessionUser, call: () => Promise<Response>): Promise<{ status: number; json: T; headers: Headers; bytes: Uint8Array }> {
  session.user = user
  const response = await call()
  const bytes = new Uint8Array(await response.arrayBuffer())
  const json = response.headers.get('content-type')?.includes('json') ? JSON.parse(Buffer.from(bytes).toString('utf8')) : null
  return { status: response.status, json: json as T, headers: response.headers, bytes }
}

/** A multipart request with its Content-Length, as a browser sends it. */
async function multipart(fields: Record<string, string>, file?: { name: string; bytes: Uint8Array; type?: string }): Promise<Request> {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  if (file) form.set('file', new File([new Uint8Array(file.bytes)], file.name, { type: file.type ?? 'application/octet-stream' }))
  const draft = new Request('http://localhost/api', { method: 'POST', body: form })
  const body = await draft.arrayBuffer()
  return new Request('http://localhost/api', { method: 'POST', body, headers: { 'content-type': draft.headers.get('content-type')!, 'content-length': String(body.byteLength) } })
}
const json = (method: string, body: unknown) => new Request('http://localhost/api', { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const get = (url = 'http://localhost/api') => new Request(url)

export function openAnswersSuite(getDatabase: () => Db) {
  let routes: Routes
  const who = (id: string, role: 'student' | 'instructor' = 'student'): SessionUser => ({ id, role, name: `Nom ${id.slice(0, 4)}`, email: `${id}@example.test` })
  let teacher: SessionUser, otherTeacher: SessionUser, ada: SessionUser, bob: SessionUser, eve: SessionUser
  let classA = ''
  let classB = ''
  let adaAnswer = ''

  const save = (user: SessionUser, fields: Record<string, string>, file?: { name: string; bytes: Uint8Array; type?: string }, q = question) =>
    as<Own & Refusal>(user, async () => routes.answer.POST(await multipart(fields, file), { params: Promise.resolve(q) }))
  const own = (user: SessionUser) => as<Own>(user, () => routes.answer.GET(get(), { params: Promise.resolve(question) }))
  const download = (user: SessionUser, answerId: string) => as<Refusal>(user, () => routes.file.GET(get(), { params: Promise.resolve({ answerId }) }))
  const queue = (user: SessionUser, classId: string, key = questionKey) =>
    as<Queue & Refusal>(user, () => routes.queue.GET(get(`http://localhost/api?question=${encodeURIComponent(key)}`), { params: Promise.resolve({ id: classId }) }))
  const grade = (user: SessionUser, classId: string, answerId: string, body: unknown) =>
    as<{ answer: Queue['answers'][number] & { grade: { points: number; maxPoints: number; gradedBy: string } } } & Refusal>(user, () =>
      routes.grade.PUT(json('PUT', body), { params: Promise.resolve({ id: classId, answerId }) }),
    )
  const csv = async (user: SessionUser, classId: string) => {
    const answer = await as<Refusal>(user, () => routes.csv.GET(get(), { params: Promise.resolve({ id: classId }) }))
    return { ...answer, text: Buffer.from(answer.bytes).toString('utf8') }
  }

  beforeAll(async () => {
    routes = {
      answer: await import('@/app/api/lessons/[course]/[lesson]/open-questions/[question]/route'),
      file: await import('@/app/api/open-answers/[answerId]/file/route'),
      queue: await import('@/app/api/classes/[id]/open-answers/route'),
      grade: await import('@/app/api/classes/[id]/open-answers/[answerId]/grade/route'),
      csv: await import('@/app/api/classes/[id]/open-answers/export/route'),
    }
    const db = getDatabase()
    const user = async (role: 'student' | 'instructor') => {
      const u = who(randomUUID(), role)
      await db.user.create({ data: { id: u.id, name: u.name, email: u.email, role } })
      return u
    }
    teacher = await user('instructor')
    otherTeacher = await user('instructor')
    ada = await user('student')
    bob = await user('student')
    eve = await user('student')
    const make = async (name: string, instructor: string, member: string) =>
      (
        await db.classroom.create({
          data: {
            name,
            joinCode: `OQ${randomUUID().slice(0, 8).toUpperCase()}`,
            courses: { create: [{ courseSlug: 'demo' }] },
            instructors: { create: [{ userId: instructor }] },
            members: { create: [{ userId: member }] },
          },
        })
      ).id
    classA = await make('Classe A', teacher.id, ada.id)
    classB = await make('Classe B', otherTeacher.id, bob.id)
  })

  describe.sequential('open answers through the APIs', () => {
    test('a learner saves a draft, then hands in a text and a small image; the file is sniffed and stored', async () => {
      expect((await own(ada)).json).toEqual({ answer: null, lockedReason: null })
      const draft = await save(ada, { action: 'draft', text: 'Le DNS intégré…' })
      expect([draft.status, draft.json.answer?.status, draft.json.answer?.submissions]).toEqual([200, 'draft', 0])
      const handedIn = await save(ada, { action: 'submit', text: 'Le DNS intégré répond sur 127.0.0.11,\r\nsur un réseau créé par l’utilisateur.' }, { name: 'schéma.png', bytes: png, type: 'text/html' })
      expect(handedIn.status).toBe(200)
      expect(handedIn.json.answer).toMatchObject({ status: 'submitted', submissions: 1, text: 'Le DNS intégré répond sur 127.0.0.11,\nsur un réseau créé par l’utilisateur.', editable: true })
      // The browser said text/html: the bytes say PNG, and PNG is what is stored.
      expect(handedIn.json.answer?.file).toMatchObject({ name: 'schéma.png', contentType: 'image/png', size: png.byteLength })
      adaAnswer = handedIn.json.answer!.id
      // A draft after the hand-in would take it back: refused.
      expect((await save(ada, { action: 'draft', text: 'autre' })).json.error.code).toBe('already_submitted')
    })

    test('every input is validated: fields, file type and size, the question, the body type', async () => {
      const bad = await save(eve, { action: 'publish', text: 'x' })
      expect([bad.status, bad.json.error.code, bad.json.error.fields?.map((f) => f.field)]).toEqual([422, 'invalid_input', ['action']])
      expect((await save(eve, { action: 'submit', text: 'x', extra: '1' })).json.error.fields?.map((f) => f.field)).toEqual(['extra'])
      const exe = await save(eve, { action: 'submit', text: '' }, { name: 'schema.png', bytes: new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03]) })
      expect([exe.status, exe.json.error.code]).toEqual([415, 'file_type_refused'])
      const big = await save(eve, { action: 'submit', text: '' }, { name: 'gros.txt', bytes: new Uint8Array(1024 * 1024 + 1).fill(0x61) })
      expect([big.status, big.json.error.code]).toEqual([413, 'file_too_large'])
      expect((await save(eve, { action: 'submit', text: '   ' })).json.error.code).toBe('empty_answer')
      expect((await save(eve, { action: 'submit', text: 'x'.repeat(2001) })).json.error.code).toBe('text_too_long')
      expect((await save(eve, { action: 'submit', text: 'x' }, undefined, { ...question, question: 'inconnue' })).status).toBe(404)
      const asJson = await as<Refusal>(eve, () => routes.answer.POST(json('POST', { action: 'submit', text: 'x' }), { params: Promise.resolve(question) }))
      expect(asJson.status).toBe(411)
      // Nothing of the refused saves was stored.
      expect(await getDatabase().openAnswer.count({ where: { userId: eve.id } })).toBe(0)
      // HTML is accepted as text, and stored as text/plain under a name that will not open as a page.
      const html = await save(eve, { action: 'draft', text: '' }, { name: 'page.html', bytes: new TextEncoder().encode('<script>alert(1)</script>'), type: 'text/html' })
      expect(html.json.answer?.file).toMatchObject({ name: 'page.html.txt', contentType: 'text/plain; charset=utf-8' })
    })

    test("nobody else reads a learner's answer or its file: other learners, and instructors of other classes", async () => {
      expect((await own(bob)).json.answer).toBeNull()
      for (const stranger of [bob, eve, otherTeacher]) {
        const refused = await download(stranger, adaAnswer)
        expect([refused.status, refused.json.error.code], stranger === otherTeacher ? 'other teacher' : 'learner').toEqual([404, 'answer_not_found'])
      }
      for (const allowed of [ada, teacher]) {
        const file = await download(allowed, adaAnswer)
        expect(file.status).toBe(200)
        expect(Buffer.from(file.bytes).equals(Buffer.from(png))).toBe(true)
        expect(file.headers.get('content-type')).toBe('image/png')
        expect(file.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('schéma.png')}`)
        expect(file.headers.get('x-content-type-options')).toBe('nosniff')
        expect(file.headers.get('content-security-policy')).toContain('sandbox')
      }
      // The queue: only the class's instructors, only the class's members.
      expect((await queue(ada, classA)).status).toBe(403)
      expect((await queue(otherTeacher, classA)).json.error.code).toBe('not_class_instructor')
      expect((await queue(teacher, classA, 'demo/quiz-lesson')).status).toBe(422)
      expect((await queue(teacher, classA, 'demo/quiz-lesson/inconnue')).status).toBe(404)
      const mine = await queue(teacher, classA)
      expect(mine.json.answers.map((a) => [a.student.id, a.status])).toEqual([[ada.id, 'submitted']])
    })

    test("a learner's draft stays theirs: not in the queue, its file not for the instructor", async () => {
      await save(bob, { action: 'draft', text: 'brouillon' }, { name: 'notes.txt', bytes: new TextEncoder().encode('front, back') })
      const bobAnswer = (await own(bob)).json.answer!.id
      expect((await queue(otherTeacher, classB)).json.answers).toEqual([])
      expect((await download(otherTeacher, bobAnswer)).status).toBe(404)
      expect((await download(bob, bobAnswer)).status).toBe(200)
      expect((await grade(otherTeacher, classB, bobAnswer, { criteria: { dns: 1, clarte: 1 } })).json.error.code).toBe('not_submitted')
    })

    test('only an instructor of the class grades, against the rubric; the learner then reads the grade and the comment', async () => {
      const body = { criteria: { dns: 2.5, clarte: 2 }, feedback: 'Juste.\nPrécisez le rôle de 127.0.0.11.' }
      expect((await grade(ada, classA, adaAnswer, body)).status).toBe(403)
      expect((await grade(otherTeacher, classA, adaAnswer, body)).status).toBe(403)
      // Through their own class, another instructor cannot name this answer either.
      expect((await grade(otherTeacher, classB, adaAnswer, body)).json.error.code).toBe('answer_not_found')
      const invalid = await grade(teacher, classA, adaAnswer, { criteria: { dns: 4 } })
      expect([invalid.status, invalid.json.error.code, invalid.json.error.fields?.map((f) => f.field)]).toEqual([422, 'invalid_grade', ['criteria.dns', 'criteria.clarte']])
      expect((await grade(teacher, classA, adaAnswer, { ...body, criteria: { dns: 1.3, clarte: 1 } })).status).toBe(422)
      expect((await grade(teacher, classA, adaAnswer, { ...body, expectSubmissions: 2 })).json.error.code).toBe('answer_changed')
      const graded = await grade(teacher, classA, adaAnswer, { ...body, expectSubmissions: 1 })
      expect(graded.status).toBe(200)
      expect(graded.json.answer.grade).toMatchObject({ points: 4.5, maxPoints: 5, gradedBy: teacher.name })

      const seen = (await own(ada)).json.answer!
      expect(seen).toMatchObject({ status: 'graded', editable: false, lockedReason: 'graded' })
      expect(seen.grade).toMatchObject({ points: 4.5, maxPoints: 5, feedback: body.feedback, gradedBy: teacher.name, criteria: { dns: 2.5, clarte: 2 } })
      expect((await own(bob)).json.answer?.grade).toBeNull()
      expect((await save(ada, { action: 'submit', text: 'une autre version' })).json.error.code).toBe('answer_locked')
    })

    test('the grader may ask for a new version: the learner hands it in, the last grade stays until the next', async () => {
      expect((await grade(teacher, classA, adaAnswer, { criteria: { dns: 2, clarte: 1 }, feedback: 'Refaites le schéma.', allowResubmit: true })).status).toBe(200)
      const again = await save(ada, { action: 'submit', text: 'Nouvelle version', removeFile: '1' })
      expect(again.json.answer).toMatchObject({ status: 'submitted', submissions: 2, file: null, grade: { points: 3, feedback: 'Refaites le schéma.' } })
      expect((await download(teacher, adaAnswer)).status).toBe(404)
      expect((await queue(teacher, classA)).json.answers[0]).toMatchObject({ status: 'submitted', submissions: 2, text: 'Nouvelle version' })
    })

    test('the CSV lists the class: its members only, with status, points and the detail per criterion', async () => {
      expect((await csv(ada, classA)).status).toBe(403)
      expect((await csv(otherTeacher, classA)).status).toBe(403)
      const sheet = await csv(teacher, classA)
      expect(sheet.status).toBe(200)
      expect(sheet.headers.get('content-disposition')).toMatch(/^attachment; filename="classe-a-questions-ouvertes-\d{4}-\d\d-\d\d\.csv"$/)
      const lines = sheet.text.replace(/^\uFEFF/, '').trim().split('\r\n')
      expect(lines[0]).toBe("Nom;E-mail;Cours;Leçon;Question;État;Points;Sur;Note (%);Détail par critère;Corrigé par;Corrigé le;Rendu le;Rendu pendant l'épreuve")
      expect(lines).toHaveLength(2)
      expect(lines[1]).toContain(`${ada.email};Cours de démonstration;Une leçon avec quiz;Le schéma du réseau de démonstration;à corriger;3;5;60;Le DNS intégré: 2/3 · Clarté: 1/2;${teacher.name}`)
      expect(sheet.text).not.toContain(bob.email)
    })

    test("after the class's exam window, its learners' answers are locked; another class's are not", async () => {
      const db = getDatabase()
      const hour = 3_600_000
      await db.classroom.update({ where: { id: classA }, data: { examStartsAt: new Date(Date.now() - 2 * hour), examEndsAt: new Date(Date.now() - hour), examLessons: JSON.stringify(['demo/quiz-lesson']) } })
      expect((await own(ada)).json).toMatchObject({ lockedReason: 'exam_over', answer: { editable: false, lockedReason: 'exam_over' } })
      expect((await save(ada, { action: 'submit', text: 'trop tard' })).json.error.code).toBe('exam_over')
      // Handed in outside the window: the instructor sees it marked.
      expect((await queue(teacher, classA)).json.answers[0]?.inExamWindow).toBe(false)
      expect((await csv(teacher, classA)).text).toContain(';non\r\n')
      const bobs = await save(bob, { action: 'submit', text: 'Le DNS de Docker, sur un réseau défini par l’utilisateur.' })
      expect([bobs.status, bobs.json.answer?.status]).toEqual([200, 'submitted'])
      // Removing the exam is how an instructor opens the answers again.
      await db.classroom.update({ where: { id: classA }, data: { examStartsAt: null, examEndsAt: null, examLessons: null } })
      expect((await own(ada)).json.lockedReason).toBeNull()
    })

    test("a student's page lists that student's answers of the class's courses only; a draft without its text", async () => {
      const { studentOpenAnswers } = await import('@/lib/open-questions/student.server')
      const db = getDatabase()
      // Ada's answer to a question of a course the class does not follow, and Eve (a draft) joins class A.
      await db.openAnswer.create({ data: { userId: ada.id, courseSlug: 'autre-cours', lessonSlug: 'lecon', questionId: 'ailleurs', text: 'hors de la classe', status: 'submitted', submittedAt: new Date(), submissions: 1 } })
      await db.classroomMember.create({ data: { classroomId: classA, userId: eve.id } })

      const adas = await studentOpenAnswers(classA, teacher, ada.id)
      expect(adas.map((a) => [`${a.courseSlug}/${a.lessonSlug}/${a.questionId}`, a.status, a.grade?.points, a.grade?.feedback])).toEqual([[questionKey, 'submitted', 3, 'Refaites le schéma.']])
      expect(adas[0]).toMatchObject({ questionTitle: 'Le schéma du réseau de démonstration', lessonTitle: 'Une leçon avec quiz', courseTitle: 'Cours de démonstration' })
      expect(adas[0]!.submittedAt).toBeInstanceOf(Date)
      // Eve's draft: that it exists, not what it says.
      const eves = await studentOpenAnswers(classA, teacher, eve.id)
      expect(eves).toEqual([expect.objectContaining({ questionId: 'schema-reseau', status: 'draft', submittedAt: null, grade: null })])
      expect(JSON.stringify(eves)).not.toContain('script')
      // Bob answered the same question in class B: not a student of class A, and not in Ada's list.
      await expect(studentOpenAnswers(classA, teacher, bob.id)).rejects.toMatchObject({ code: 'student_not_in_class' })
      expect(await studentOpenAnswers(classB, otherTeacher, bob.id)).toEqual([expect.objectContaining({ status: 'submitted' })])
      await expect(studentOpenAnswers(classA, otherTeacher, ada.id)).rejects.toMatchObject({ code: 'not_class_instructor' })
      await expect(studentOpenAnswers(classA, ada, ada.id)).rejects.toMatchObject({ code: 'not_class_instructor' })
    })

    test('deleting a learner deletes their answers and files', async () => {
      const db = getDatabase()
      await db.user.delete({ where: { id: ada.id } })
      expect(await db.openAnswer.count({ where: { id: adaAnswer } })).toBe(0)
      expect(await db.openAnswerFile.count({ where: { answerId: adaAnswer } })).toBe(0)
    })
  })
}
