import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { sandboxStatus, stopSandboxFor } from '@/lib/workspace/service.server'

type Context = { params: Promise<{ sandboxId: string }> }

/** Status and time left. */
export const GET = handler(async (_request: Request, { params }: Context) => {
  const user = await requireApiUser()
  return NextResponse.json(await sandboxStatus(user, (await params).sandboxId))
})

/** Stop: the sandbox and everything in it go. */
export const DELETE = handler(async (_request: Request, { params }: Context) => {
  const user = await requireApiUser()
  return NextResponse.json(await stopSandboxFor(user, (await params).sandboxId))
})
