import { NextResponse } from 'next/server'
import { z } from 'zod'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler, validationError } from '@/lib/http/api.server'
import { sandboxIdSchema } from '@/lib/sandbox/types'
import { killProcessesFor } from '@/lib/workspace/processes.server'

const paramsSchema = z.strictObject({ sandboxId: sandboxIdSchema })

/** "Arrêter mes processus": kill everything the learner started in the sandbox, keeping its nodes and daemons. */
export const POST = handler(async (_request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const parsed = paramsSchema.safeParse(await params)
  if (!parsed.success) throw validationError(parsed.error)
  return NextResponse.json(await killProcessesFor(user, parsed.data.sandboxId))
})
