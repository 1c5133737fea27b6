import { requireApiUser } from '@/lib/auth/session.server'
import { handler, streamDownload } from '@/lib/http/api.server'
import { idParam } from '@/lib/classes/schemas'
import { downloadStudentKeptWork } from '@/lib/classes/student-work.server'
import { keptWorkQuerySchema } from '@/lib/workspace/api'

type Params = { params: Promise<{ id: string; userId: string }> }

/** An instructor downloads a student's kept work for a lesson (its lab folders), without resuming it. */
export const GET = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, userId } = await params
  const query = keptWorkQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const archive = await downloadStudentKeptWork(idParam.parse(id), user, idParam.parse(userId), query.course, query.lesson)
  return streamDownload({ filename: archive.name, stream: archive.stream, contentType: 'application/gzip' })
})
