import { NextResponse } from 'next/server'
import { z } from 'zod'
import { getSessionUser } from '@/lib/auth/session.server'
import { ApiError, apiErrorResponse, apiErrorOf, validationError } from '@/lib/http/api.server'
import { nodeNameSchema } from '@/lib/content/slug'
import { sandboxIdSchema } from '@/lib/sandbox/types'
import { openPortFor } from '@/lib/workspace/port-access.server'

const paramsSchema = z.object({
  sandboxId: sandboxIdSchema,
  node: nodeNameSchema,
  port: z.coerce.number().int().min(1, 'ports go from 1 to 65535').max(65535, 'ports go from 1 to 65535'),
})

/** A link the viewer follows: to the port's own origin with a one-time grant, or a plain-text refusal. */
export async function GET(request: Request, { params }: { params: Promise<{ sandboxId: string; node: string; port: string }> }) {
  const parsed = paramsSchema.safeParse(await params)
  if (!parsed.success) return refusal(validationError(parsed.error))
  const url = new URL(request.url)
  const user = await getSessionUser()
  if (!user) return new NextResponse(null, { status: 303, headers: { location: `/sign-in?next=${encodeURIComponent(url.pathname + url.search)}` } })
  try {
    const { sandboxId, node, port } = parsed.data
    const location = await openPortFor(user, sandboxId, node, port, url.searchParams.get('path'))
    return new NextResponse(null, { status: 303, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } })
  } catch (error) {
    const api = apiErrorOf(error)
    return api instanceof ApiError ? refusal(api) : apiErrorResponse(error)
  }
}

/** The viewer followed a link: the reason in plain text, readable in the tab it opened. */
function refusal(error: ApiError): Response {
  return new NextResponse(`${error.message}\n`, { status: error.status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
}
