import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler, readJson } from '@/lib/http/api.server'
import { openSandboxBodySchema } from '@/lib/workspace/api'
import { openSandboxForLesson } from '@/lib/workspace/service.server'

/** Open (or reuse) the learner's sandbox for a hands-on lesson; the layout comes from the lesson. */
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser()
  const body = await readJson(request, openSandboxBodySchema)
  // The request's signal: a learner who leaves while queued gives up their place (lib/sandbox/start-queue.server.ts).
  return NextResponse.json(await openSandboxForLesson(user, body, request.signal))
})
