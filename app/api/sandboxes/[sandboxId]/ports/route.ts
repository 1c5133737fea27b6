import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { listSandboxPorts } from '@/lib/workspace/port-access.server'

/** Ports published by the learner's containers, on every node, with the address that opens each. */
export const GET = handler(async (_request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  return NextResponse.json({ ports: await listSandboxPorts(user, (await params).sandboxId) })
})
