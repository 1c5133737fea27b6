import { Readable } from 'node:stream'
import { requireApiUser } from '@/lib/auth/session.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { fileQuerySchema } from '@/lib/workspace/api'
import { downloadLessonFile } from '@/lib/workspace/service.server'

/**
 * One file of the lesson folder, as an attachment. No Content-Length: Next sends streamed bodies
 * chunked (it drops the header), and a file that changes while it streams ends the response
 * with an error, which a chunked body reports to the browser as a failed download.
 */
export const GET = limitedHandler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const query = fileQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const file = await downloadLessonFile(user, (await params).sandboxId, query)
  return new Response(Readable.toWeb(file.stream) as ReadableStream, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  })
})
