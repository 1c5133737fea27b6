import { NextResponse } from 'next/server'
import { z } from 'zod'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler, validationError } from '@/lib/http/api.server'
import { sandboxIdSchema } from '@/lib/sandbox/types'
import { listSteps } from '@/lib/workspace/steps.server'

const paramsSchema = z.strictObject({ sandboxId: sandboxIdSchema })

/** The steps of the learner's sandbox: one per passed exercise, to go back to. */
export const GET = handler(async (_request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const parsed = paramsSchema.safeParse(await params)
  if (!parsed.success) throw validationError(parsed.error)
  return NextResponse.json(await listSteps(user, parsed.data.sandboxId))
})
