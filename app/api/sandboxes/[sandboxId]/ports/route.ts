import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { listSandboxPorts } from '@/lib/workspace/service.server'

/** Ports published by the learner's containers, on every node, with their proxy address. */
export const GET = handler(async (_request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  return NextResponse.json({ ports: await listSandboxPorts(user, (await params).sandboxId) })
})
