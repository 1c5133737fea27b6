import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { runSolutionInFreshSandbox } from '@/lib/classes/authoring.server'
import { classHandler } from '@/lib/classes/http.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { asApi, exerciseRefSchema } from '@/lib/checks/http.server'
import { readJson } from '@/lib/http/api.server'
import { toApiError } from '@/lib/workspace/workspace-sandbox.server'

// Instructors only: run an exercise's solution in a fresh sandbox and show its checks before
// and after. Slow (a sandbox starts): the authoring preview waits for it.
export const maxDuration = 300

export const POST = classHandler(async (request: Request) => {
  const user = await requireApiUser('instructor')
  const ref = await readJson(request, exerciseRefSchema, 1024)
  const locale = await readerLocale()
  try {
    return NextResponse.json(await asApi(() => runSolutionInFreshSandbox(user, ref, locale)))
  } catch (error) {
    throw toApiError(error)
  }
})
