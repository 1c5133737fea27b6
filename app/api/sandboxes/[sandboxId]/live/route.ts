import { requireApiUser } from '@/lib/auth/session.server'
import { liveQuerySchema } from '@/lib/checks/api'
import { sandboxIdSchema } from '@/lib/sandbox/types'
import { liveEventStream } from '@/lib/checks/live.server'
import { getSandboxAccess } from '@/lib/checks/check-targets.server'
import { refuseDuringExam, watchForExam } from '@/lib/exams/exams.server'
import { validationError } from '@/lib/http/api.server'
import { admit, limitedHandler } from '@/lib/http/usage-limits.server'

// GET ?courseSlug&lessonSlug&exerciseId: Server-Sent Events with the exercise's live results
// and snapshots of the sandbox, driven by its daemon's events. Session and ownership checked
// before the stream opens; errors before that are ordinary JSON answers (see the check route).
// Opening one counts against the user's `liveStreams` limit (429 with Retry-After past it).
// 403 exam_in_progress while the learner's class is in an exam on the lesson: live results
// are help, and exam grades count only clicks on "Vérifier" (lib/exams/grades.server.ts). A
// stream opened before an exam ends when the exam begins (watchForExam).
export const dynamic = 'force-dynamic'

type Params = { params: Promise<{ sandboxId: string }> }

export const GET = limitedHandler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const id = sandboxIdSchema.safeParse((await params).sandboxId)
  const url = new URL(request.url)
  const query = liveQuerySchema.safeParse(Object.fromEntries(url.searchParams))
  if (!id.success) throw validationError(id.error)
  if (!query.success) throw validationError(query.error)
  // Before admit(): a refusal must not hold one of the learner's stream slots.
  await refuseDuringExam(user, query.data, 'live')
  const release = await admit('liveStreams', user.id)
  // Ended by the reader, or by an exam that begins on the lesson (the reconnect is then refused).
  const ended = new AbortController()
  request.signal.addEventListener('abort', () => ended.abort(), { once: true })
  const stopWatching = watchForExam(user, query.data, () => ended.abort())
  const onEnd = () => {
    stopWatching()
    release()
  }
  // onEnd runs once however the stream ends, a failed subscription included.
  const stream = await liveEventStream(id.data, { userId: user.id, ...query.data }, getSandboxAccess(), ended.signal, { onEnd })
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  })
})
