import 'server-only'
import { Readable } from 'node:stream'
import { NextResponse } from 'next/server'
import { z } from 'zod'
import { AuthError } from '../auth/session.server'
import { DaemonAnswerTooLargeError } from '../docker/daemon-read.server'
import { dockerProblemOf } from '../docker/diagnose.server'
import { webMetrics } from '../metrics/web.server'
import { SandboxError, type SandboxCapacityError, type SandboxHostFullError, type SandboxRateLimitError } from '../sandbox/types'
import { ApiError } from '../errors'

// Route handlers parse input with zod; whatever they throw becomes a clear JSON answer here,
// and only here (apiErrorOf): ApiError and the domain errors that extend it as they are, the
// runtime's typed errors by the table below, anything else a 500 that says nothing was saved.

export { ApiError }

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

/**
 * Any thrown error as the API's answer: an ApiError (itself, or what a known error of the
 * runtime, the session or zod means to a client); an unexpected error is returned unchanged.
 */
export function apiErrorOf(error: unknown): unknown {
  if (error instanceof ApiError) return error
  if (error instanceof SandboxError) return sandboxApiError(error)
  if (error instanceof AuthError) return new ApiError(error.status, error.status === 401 ? 'unauthenticated' : 'forbidden', error.message)
  if (error instanceof z.ZodError) return validationError(error)
  // The learner's daemon answered more than Quai reads: theirs to clean up, hence a 422.
  if (error instanceof DaemonAnswerTooLargeError) return new ApiError(422, error.code, error.message)
  return error
}

/** lib/sandbox's refusals: capacity and rate limits with a retry time, Docker problems with their fix. */
function sandboxApiError(error: SandboxError): ApiError {
  // A start that failed for a reason of its own (the host's disk is full) answers with that reason.
  if (error.code === 'sandbox.start_failed' && error.cause instanceof SandboxError) return sandboxApiError(error.cause)
  switch (error.code) {
    case 'sandbox.capacity_full':
      return new ApiError(503, 'capacity_full', error.message, { retryAfterSeconds: (error as SandboxCapacityError).retryAfterMinutes * 60 })
    case 'sandbox.rate_limited':
      return new ApiError(429, 'rate_limited', error.message, { retryAfterSeconds: (error as SandboxRateLimitError).retryAfterSeconds })
    case 'sandbox.not_found':
      return new ApiError(404, 'sandbox_not_found', error.message)
    case 'sandbox.not_yours':
      return new ApiError(403, 'sandbox_forbidden', error.message)
    case 'sandbox.not_running':
      return new ApiError(409, 'sandbox_not_running', error.message)
    case 'sandbox.busy':
      return new ApiError(503, 'sandbox_busy', error.message, { retryAfterSeconds: 5 })
    case 'sandbox.host_full':
      return new ApiError(503, 'host_full', error.message, { fix: (error as SandboxHostFullError).fix })
    case 'sandbox.unavailable': {
      const problem = dockerProblemOf(error)
      return new ApiError(503, problem?.code ?? 'docker_unavailable', error.message, problem ? { fix: problem.fix } : undefined)
    }
    default:
      // node_not_found, node_died, start_failed: their own status, and code without the prefix.
      return new ApiError(error.status, error.code.replace('sandbox.', ''), error.message)
  }
}

/** The one JSON answer for any thrown error: `{ error: { code, message, ...details } }` with its status. */
export function apiErrorResponse(error: unknown): NextResponse {
  const api = apiErrorOf(error)
  webMetrics().errors.inc({ code: api instanceof ApiError ? api.code : 'internal' })
  if (api instanceof ApiError) {
    return NextResponse.json({ error: { code: api.code, message: api.message, ...api.details } }, { status: api.status })
  }
  console.error(error)
  return NextResponse.json({ error: { code: 'internal', message: 'internal error; nothing was saved half-way' } }, { status: 500 })
}

const statusPhrases: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

type UpgradeRefusal = { status: number; reason: string }

/**
 * The same answer for a refused WebSocket upgrade (terminal, port proxy), which has only a
 * status line: "409 Conflict (sandbox_not_running): <message>", with the JSON answer's code.
 * null for an unexpected error (the caller rethrows it).
 */
export function upgradeRefusal(error: ApiError): UpgradeRefusal
export function upgradeRefusal(error: unknown): UpgradeRefusal | null
export function upgradeRefusal(error: unknown): UpgradeRefusal | null {
  const api = apiErrorOf(error)
  if (!(api instanceof ApiError)) return null
  webMetrics().errors.inc({ code: api.code })
  return { status: api.status, reason: `${statusPhrases[api.status] ?? 'Error'} (${api.code}): ${api.message}` }
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

/** A CSV file the browser downloads under `filename`, never cached. */
/**
 * A stream as an attachment. No Content-Length: Next sends streamed bodies chunked (it drops the
 * header), and a source that fails while it streams ends the response with an error, which a
 * chunked body reports to the browser as a failed download.
 */
export function streamDownload({ filename, stream, contentType }: { filename: string; stream: Readable; contentType: string }): Response {
  return new Response(Readable.toWeb(stream) as ReadableStream, {
    headers: {
      'content-type': contentType,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  })
}

export function csvDownload({ filename, body }: { filename: string; body: string }): Response {
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
  })
}
