import { z } from 'zod'
import { apiErrorSchema, type ApiErrorBody } from '../errors'

// The browser's one way to call Quai's JSON APIs: the answer is parsed with the API's schema
// (never cast), and every failure (network, refusal, unexpected body) comes back as the API's
// error shape, so a component only ever handles { ok, data } or { ok: false, error }.

export type ApiFailure = ApiErrorBody['error']

/** For an answer whose body the caller does not read (only whether it succeeded). */
export const unreadBody = z.unknown()
export type Fetched<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiFailure }

/** `json`: a body sent as application/json. GETs are never served from the browser's cache. */
export type FetchJsonInit = Omit<RequestInit, 'body'> & { json?: unknown; body?: BodyInit }

export async function fetchJson<T>(url: string, schema: z.ZodType<T>, init: FetchJsonInit = {}): Promise<Fetched<T>> {
  const { json, headers, ...rest } = init
  let response: Response
  try {
    response = await fetch(url, {
      cache: 'no-store',
      ...rest,
      ...(json === undefined ? { headers } : { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...headers } }),
    })
  } catch (error) {
    return { ok: false, status: 0, error: { code: 'network', message: (error as Error).message } }
  }
  // An empty body (204) reads as null; an HTML error page as a failure below.
  const text = await response.text().catch(() => '')
  let body: unknown = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = undefined
  }
  if (!response.ok) {
    const refusal = apiErrorSchema.safeParse(body)
    return { ok: false, status: response.status, error: refusal.success ? refusal.data.error : { code: 'http', message: `HTTP ${response.status}` } }
  }
  const parsed = schema.safeParse(body)
  if (!parsed.success) return { ok: false, status: response.status, error: { code: 'bad_answer', message: 'unexpected answer from the server' } }
  return { ok: true, status: response.status, data: parsed.data }
}
