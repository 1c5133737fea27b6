import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { resetSandboxFor } from '@/lib/workspace/service.server'

/** A fresh sandbox for the same lesson in place of this one. */
export const POST = handler(async (_request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  return NextResponse.json(await resetSandboxFor(user, (await params).sandboxId))
})
