import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { runSolutionInFreshSandbox } from '@/lib/authoring/run-solution.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { exerciseRefSchema } from '@/lib/checks/api'
import { handler, readJson } from '@/lib/http/api.server'

// Instructors only: run an exercise's solution in a fresh sandbox and show its checks before
// and after. Slow (a sandbox starts): the authoring preview waits for it.
export const maxDuration = 300

export const POST = handler(async (request: Request) => {
  const user = await requireApiUser('instructor')
  const ref = await readJson(request, exerciseRefSchema, 1024)
  const locale = await readerLocale()
  return NextResponse.json(await runSolutionInFreshSandbox(user, ref, locale))
})
