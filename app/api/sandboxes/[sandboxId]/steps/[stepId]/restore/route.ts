import { NextResponse } from 'next/server'
import { z } from 'zod'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler, readJson, validationError } from '@/lib/http/api.server'
import { sandboxIdSchema } from '@/lib/sandbox/types'
import { restoreStepBodySchema, stepIdSchema } from '@/lib/workspace/api'
import { listSteps, restoreStep } from '@/lib/workspace/steps.server'

const paramsSchema = z.strictObject({ sandboxId: sandboxIdSchema, stepId: stepIdSchema })

/** Back to a step: the sandbox as it was when that exercise passed (the learner confirmed losing the current state). */
export const POST = handler(async (request: Request, { params }: { params: Promise<{ sandboxId: string; stepId: string }> }) => {
  const user = await requireApiUser()
  const parsed = paramsSchema.safeParse(await params)
  if (!parsed.success) throw validationError(parsed.error)
  await readJson(request, restoreStepBodySchema)
  await restoreStep(user, parsed.data.sandboxId, parsed.data.stepId)
  return NextResponse.json(await listSteps(user, parsed.data.sandboxId))
})
