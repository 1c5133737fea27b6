import { randomUUID } from 'node:crypto'
import { expect, request, test, type APIRequestContext } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { newStudent } from './support/accounts'

// The quiz API against tampered and racing submissions, over real HTTP with a real session.
const quizUrl = '/api/lessons/demo/quiz-lesson/quiz'

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

  const anonymous = await request.newContext({ baseURL })
  expect((await post(anonymous, body)).status()).toBe(401)
})
