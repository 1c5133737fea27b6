import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler, readJson } from '@/lib/http/api.server'
import { portShareBodySchema } from '@/lib/workspace/api'
import { setPortShared } from '@/lib/workspace/port-access.server'

/** The owner shares a published port with the instructors of their classes, or stops sharing it. */
export const PUT = handler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const body = await readJson(request, portShareBodySchema)
  return NextResponse.json(await setPortShared(user, (await params).sandboxId, body.node, body.port, body.shared))
})
