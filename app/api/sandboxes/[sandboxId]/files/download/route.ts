import { requireApiUser } from '@/lib/auth/session.server'
import { streamDownload } from '@/lib/http/api.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { fileQuerySchema } from '@/lib/workspace/api'
import { downloadLessonFile } from '@/lib/workspace/service.server'

/** One file of the lesson folder, as an attachment. */
export const GET = limitedHandler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const query = fileQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const file = await downloadLessonFile(user, (await params).sandboxId, query)
  return streamDownload({ filename: file.name, stream: file.stream, contentType: 'application/octet-stream' })
})
