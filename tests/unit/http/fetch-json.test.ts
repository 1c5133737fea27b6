import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { fetchJson, unreadBody } from '../../../lib/http/client'

// The browser's one fetch: answers parsed with the API's schema, every failure in the API's error shape.

const schema = z.object({ id: z.string() })
const answer = (status: number, body: string, contentType = 'application/json') => new Response(body, { status, headers: { 'content-type': contentType } })

afterEach(() => {
  vi.unstubAllGlobals()
})

test('a good answer is parsed with the schema; json is sent as application/json, never from the cache', async () => {
  const fetch = vi.fn(async () => answer(201, JSON.stringify({ id: 'c1', extra: true })))
  vi.stubGlobal('fetch', fetch)
  await expect(fetchJson('/api/classes', schema, { method: 'POST', json: { name: 'A' } })).resolves.toEqual({ ok: true, status: 201, data: { id: 'c1' } })
  expect(fetch).toHaveBeenCalledWith('/api/classes', { cache: 'no-store', method: 'POST', body: '{"name":"A"}', headers: { 'content-type': 'application/json' } })
})

test('a refusal comes back as the API error, with its details', async () => {
  vi.stubGlobal('fetch', async () => answer(429, JSON.stringify({ error: { code: 'rate_limited', message: 'slow down', retryAfterSeconds: 30 } })))
  await expect(fetchJson('/x', schema)).resolves.toEqual({ ok: false, status: 429, error: { code: 'rate_limited', message: 'slow down', retryAfterSeconds: 30 } })
})

test('an answer that is not the API error shape, an unexpected body and a network failure are failures too', async () => {
  vi.stubGlobal('fetch', async () => answer(502, '<html>Bad Gateway</html>', 'text/html'))
  await expect(fetchJson('/x', schema)).resolves.toEqual({ ok: false, status: 502, error: { code: 'http', message: 'HTTP 502' } })
  vi.stubGlobal('fetch', async () => answer(200, JSON.stringify({ id: 42 })))
  await expect(fetchJson('/x', schema)).resolves.toEqual({ ok: false, status: 200, error: { code: 'bad_answer', message: 'unexpected answer from the server' } })
  vi.stubGlobal('fetch', async () => {
    throw new TypeError('Failed to fetch')
  })
  await expect(fetchJson('/x', schema)).resolves.toEqual({ ok: false, status: 0, error: { code: 'network', message: 'Failed to fetch' } })
})

test('an empty answer is fine when the caller does not read it', async () => {
  vi.stubGlobal('fetch', async () => new Response(null, { status: 204 }))
  await expect(fetchJson('/x', unreadBody, { method: 'DELETE' })).resolves.toEqual({ ok: true, status: 204, data: null })
})
