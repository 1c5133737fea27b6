import { Readable } from 'node:stream'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { fileQuerySchema } from '@/lib/workspace/api'
import { downloadLessonFile } from '@/lib/workspace/service.server'

/** One file of the lesson folder, as an attachment. */
export const GET = handler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const query = fileQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const file = await downloadLessonFile(user, (await params).sandboxId, query)
  return new Response(Readable.toWeb(file.stream) as ReadableStream, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(file.size),
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  })
})
