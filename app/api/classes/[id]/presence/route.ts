import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { getClassPresence } from '@/lib/classes/dashboard.server'
import { handler } from '@/lib/http/api.server'
import { idParam } from '@/lib/classes/schemas'

type Params = { params: Promise<{ id: string }> }

/** Who is working now: polled every few seconds by the dashboard. */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return NextResponse.json({ live: await getClassPresence(id, user), at: new Date().toISOString() }, { headers: { 'cache-control': 'no-store' } })
})
