import { randomUUID } from 'node:crypto'
import { expect, request, test, type APIRequestContext } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { instructorState, newStudent } from './support/accounts'

// The quiz API against tampered and racing submissions, and a learner against the answer key
// (attempts, explanations), over real HTTP with a real session.
const quizUrl = '/api/lessons/demo/quiz-lesson/quiz'
// The fixture quiz (tests/fixtures/content/courses/demo/quiz-lesson/quiz.yaml) sets no policy:
// the defaults, 3 attempts and explanations after a pass.
const explanationTexts = [
  'Le résolveur embarqué répond sur 127.0.0.11',
  'Sans option, Docker branche le conteneur',
  'bridge et overlay existent',
  // No apostrophe or quote: the page escapes those, which would hide a leak from this search.
  '--internal coupe',
  'Ici la casse compte',
]
const allRight = { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'], flag: '--internal', case: 'Overlay' }
const revealed = (body: unknown) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return explanationTexts.filter((explanation) => text.includes(explanation))
}

async function signedInRequest(): Promise<APIRequestContext> {
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  const response = await api.post('/api/auth/sign-up/email', { data: newStudent() })
  expect(response.ok()).toBe(true)
  return api
}

const post = (api: APIRequestContext, data: unknown, url = quizUrl) => api.post(url, { data, headers: { 'content-type': 'application/json' } })

test('tampered quiz submissions get clear errors and store nothing', async () => {
  const api = await signedInRequest()
  const cases: [unknown, number, string][] = [
    [{ submissionId: randomUUID(), answers: { 'not-a-question': 'a' } }, 422, 'unknown question'],
    [{ submissionId: randomUUID(), answers: { 'default-net': ['b'] } }, 422, 'expected one choice id'],
    [{ submissionId: randomUUID(), answers: { drivers: ['a', 'zz'] } }, 422, 'is not a choice'],
    [{ submissionId: randomUUID(), answers: {}, score: 100 }, 422, 'score'],
    [{ submissionId: 'x', answers: {} }, 422, 'submissionId'],
    [{ submissionId: randomUUID(), answers: { dns: 'x'.repeat(20_000) } }, 413, 'larger than'],
  ]
  for (const [body, status, message] of cases) {
    const response = await post(api, body)
    expect(response.status(), JSON.stringify(body).slice(0, 80)).toBe(status)
    expect(JSON.stringify(await response.json())).toContain(message)
  }
  // The same oversized body streamed without a Content-Length (chunked): refused as it arrives.
  const cookie = (await api.storageState()).cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  const chunks = [`{"submissionId":"${randomUUID()}","answers":{"dns":"`, ...Array.from({ length: 40 }, () => 'x'.repeat(1000)), '"}}']
  const chunked = await fetch(`${baseURL}${quizUrl}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: baseURL },
    body: new ReadableStream({
      pull(controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    }),
    duplex: 'half',
  } as RequestInit & { duplex: 'half' })
  expect(chunked.status).toBe(413)
  const notJson = await api.post(quizUrl, { data: Buffer.from('{not json'), headers: { 'content-type': 'application/json' } })
  expect(notJson.status()).toBe(400)
  // Answers of this quiz sent to a lesson without a quiz, and to a lesson that does not exist.
  expect((await post(api, { submissionId: randomUUID(), answers: { dns: '127.0.0.11' } }, '/api/lessons/demo/lecture/quiz')).status()).toBe(404)
  expect((await post(api, { submissionId: randomUUID(), answers: {} }, '/api/lessons/demo/nope/quiz')).status()).toBe(404)

  // None of the refused submissions was stored: the next valid one is the first attempt.
  const first = await (await post(api, { submissionId: randomUUID(), answers: {} })).json()
  expect(first.standing.attempts).toBe(1)
})

test('a submission sent twice at once is stored once; without a session the API refuses', async () => {
  const api = await signedInRequest()
  const body = { submissionId: randomUUID(), answers: { dns: '127.0.0.11', 'default-net': 'b', drivers: ['a', 'b'] } }
  const responses = await Promise.all([post(api, body), post(api, body), post(api, body)])
  const results = await Promise.all(responses.map((r) => r.json()))
  expect(new Set(results.map((r) => r.attemptId)).size).toBe(1)
  expect(results.every((r) => r.percent === 60)).toBe(true)
  const next = await (await post(api, { submissionId: randomUUID(), answers: {} })).json()
  expect(next.standing.attempts).toBe(2)

  const anonymous = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  expect((await post(anonymous, body)).status()).toBe(401)
})

test('an empty submission reveals nothing: no explanation, in the API answer or in the lesson page', async () => {
  const api = await signedInRequest()
  const response = await post(api, { submissionId: randomUUID(), answers: {} })
  expect(response.status()).toBe(201)
  const body = await response.json()
  expect(revealed(body)).toEqual([])
  expect(JSON.stringify(body)).not.toContain('"explanation"')
  expect(body.results.every((r: { answered: boolean; correct: boolean }) => !r.answered && !r.correct)).toBe(true)
  expect(body).toMatchObject({ score: 0, passed: false, attemptsUsed: 1, attemptsLeft: 2, policy: { maxAttempts: 3, explanations: 'after-pass' } })

  // A wrong answer shows no explanation before a pass; a right one shows its own.
  const partial = await (await post(api, { submissionId: randomUUID(), answers: { dns: '127.0.0.11', 'default-net': 'a' } })).json()
  expect(revealed(partial)).toEqual([explanationTexts[0]])

  // The page's props (its HTML and RSC payload) never carry them either, before or after.
  const page = await (await api.get('/courses/demo/quiz-lesson')).text()
  expect(page).toContain('Quelle adresse le DNS intégré')
  expect(revealed(page)).toEqual([])
  expect(page).toMatch(/maxAttempts\\?":3/)

  // Once passed, every answered question's explanation.
  const pass = await (await post(api, { submissionId: randomUUID(), answers: allRight })).json()
  expect(pass).toMatchObject({ passed: true, attemptsLeft: 0 })
  expect(revealed(pass)).toEqual(explanationTexts)
  expect(revealed(await (await api.get('/courses/demo/quiz-lesson')).text())).toEqual([])
})

test('the attempt limit holds, one at a time and all at once; a retried submission is answered, not counted', async () => {
  const api = await signedInRequest()
  const ids = [randomUUID(), randomUUID(), randomUUID()]
  for (const [i, submissionId] of ids.entries()) {
    const response = await post(api, { submissionId, answers: { dns: 'nope' } })
    expect(response.status()).toBe(201)
    expect((await response.json()).attemptsLeft).toBe(2 - i)
  }
  const closed = await post(api, { submissionId: randomUUID(), answers: allRight })
  expect(closed.status()).toBe(409)
  expect((await closed.json()).error).toMatchObject({ code: 'quiz_closed', attempts: 3, maxAttempts: 3 })
  const retried = await post(api, { submissionId: ids[2], answers: { dns: 'nope' } })
  expect(retried.status()).toBe(200)
  expect(await retried.json()).toMatchObject({ replayed: true, attemptsUsed: 3, attemptsLeft: 0 })

  const racer = await signedInRequest()
  const responses = await Promise.all(Array.from({ length: 6 }, () => post(racer, { submissionId: randomUUID(), answers: { dns: 'nope' } })))
  expect(responses.map((r) => r.status()).sort()).toEqual([201, 201, 201, 409, 409, 409])
  const page = await (await racer.get('/courses/demo/quiz-lesson')).text()
  expect(page).toContain('3 tentatives')
})

test('a class sets its own policy over the quiz\'s: one attempt, no explanations; bad settings are refused', async () => {
  const teacher = await request.newContext({ baseURL, storageState: instructorState, extraHTTPHeaders: { origin: baseURL } })
  const created = await teacher.post('/api/classes', { data: { name: `Politique ${randomUUID().slice(0, 6)}`, courses: ['demo'] } })
  expect(created.status()).toBe(201)
  const { id, joinCode } = (await created.json()) as { id: string; joinCode: string }
  for (const bad of [{ quizMaxAttempts: 0 }, { quizMaxAttempts: 101 }, { quizMaxAttempts: 1.5 }, { quizExplanations: 'always' }]) {
    expect((await teacher.patch(`/api/classes/${id}`, { data: bad })).status(), JSON.stringify(bad)).toBe(422)
  }
  const patched = await teacher.patch(`/api/classes/${id}`, { data: { quizMaxAttempts: 1, quizExplanations: 'never' } })
  expect(patched.status()).toBe(200)
  expect((await patched.json()).quizPolicy).toEqual({ maxAttempts: 1, explanations: 'never' })

  const student = await signedInRequest()
  expect((await student.post('/api/classes/join', { data: { code: joinCode } })).status()).toBe(201)
  const perfect = await post(student, { submissionId: randomUUID(), answers: allRight })
  expect(perfect.status()).toBe(201)
  const body = await perfect.json()
  expect(body).toMatchObject({ passed: true, attemptsLeft: 0, policy: { maxAttempts: 1, explanations: 'never' } })
  expect(revealed(body)).toEqual([])
  expect((await post(student, { submissionId: randomUUID(), answers: allRight })).status()).toBe(409)

  // Back to the quiz's own policy: the student has attempts again (3 in all, 1 used).
  expect((await teacher.patch(`/api/classes/${id}`, { data: { quizMaxAttempts: null, quizExplanations: null } })).status()).toBe(200)
  expect((await (await post(student, { submissionId: randomUUID(), answers: allRight })).json()).attemptsLeft).toBe(1)
})
