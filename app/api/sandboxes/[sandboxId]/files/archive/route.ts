import { requireApiUser } from '@/lib/auth/session.server'
import { streamDownload } from '@/lib/http/api.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { lessonQuerySchema } from '@/lib/workspace/api'
import { downloadLessonFolder } from '@/lib/workspace/service.server'

/** The whole lesson folder as a .tar.gz attachment (the learner's own copy of their work). */
export const GET = limitedHandler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const query = lessonQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const archive = await downloadLessonFolder(user, (await params).sandboxId, query)
  return streamDownload({ filename: archive.name, stream: archive.stream, contentType: 'application/gzip' })
})
