import { requireApiUser } from '@/lib/auth/session.server'
import { streamDownload } from '@/lib/http/api.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { keptWorkQuerySchema } from '@/lib/workspace/api'
import { downloadKeptWork } from '@/lib/workspace/steps.server'

/** The lab folders of the learner's kept work for a lesson as a .tar.gz, read from the kept disk without resuming it. */
export const GET = limitedHandler(async (request: Request) => {
  const user = await requireApiUser()
  const query = keptWorkQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const archive = await downloadKeptWork(user, query.course, query.lesson)
  return streamDownload({ filename: archive.name, stream: archive.stream, contentType: 'application/gzip' })
})
