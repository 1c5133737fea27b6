import 'server-only'
import { NextResponse } from 'next/server'
import { z } from 'zod'
import { AuthError } from '../auth/session.server'

// Route handlers parse input with zod and turn known errors into clear JSON answers.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
  }
}

export const notFoundError = (what: string) => new ApiError(404, 'not_found', `${what} not found`)

/** Reads a JSON body no larger than maxBytes and validates it; throws ApiError otherwise. */
export async function readJson<T>(request: Request, schema: z.ZodType<T>, maxBytes = 16 * 1024): Promise<T> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > maxBytes) throw new ApiError(413, 'too_large', `the request body is larger than ${maxBytes} bytes`)
  if (!(request.headers.get('content-type') ?? '').includes('application/json')) {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json')
  }
  const text = await readTextUpTo(request, maxBytes)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new ApiError(400, 'invalid_json', 'the request body is not valid JSON')
  }
  const result = schema.safeParse(raw)
  if (!result.success) throw validationError(result.error)
  return result.data
}

/** The body as text, read chunk by chunk and refused as soon as it passes maxBytes (a body without Content-Length is never buffered whole). */
async function readTextUpTo(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new ApiError(413, 'too_large', `the request body is larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function validationError(error: z.ZodError): ApiError {
  const fields = error.issues.map((issue) => ({
    field: [...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys.join(',')] : [])].join('.') || '(body)',
    message: issue.message,
  }))
  return new ApiError(422, 'invalid_input', `invalid input: ${fields.map((f) => f.field).join(', ')}`, { fields })
}

export function apiErrorResponse(error: unknown): NextResponse {
  if (error instanceof ApiError) {
    return NextResponse.json({ error: { code: error.code, message: error.message, ...error.details } }, { status: error.status })
  }
  if (error instanceof AuthError) {
    return NextResponse.json({ error: { code: error.status === 401 ? 'unauthenticated' : 'forbidden', message: error.message } }, { status: error.status })
  }
  if (error instanceof z.ZodError) return apiErrorResponse(validationError(error))
  console.error(error)
  return NextResponse.json({ error: { code: 'internal', message: 'internal error; nothing was saved half-way' } }, { status: 500 })
}

/** Wraps a route handler so any thrown error becomes a clear JSON answer. */
export function handler<Args extends unknown[]>(fn: (...args: Args) => Promise<Response>) {
  return async (...args: Args): Promise<Response> => {
    try {
      return await fn(...args)
    } catch (error) {
      return apiErrorResponse(error)
    }
  }
}
