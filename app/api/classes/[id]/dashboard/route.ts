import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { getClassDashboard, serverTiming, type Timings } from '@/lib/classes/dashboard.server'
import { handler } from '@/lib/http/api.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'

type Params = { params: Promise<{ id: string }> }

/** The dashboard's data as JSON (what the page renders). */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  const timings: Timings = new Map()
  const started = performance.now()
  const data = await getClassDashboard(id, user, await readerLocale(), timings)
  timings.set('total', performance.now() - started)
  return NextResponse.json(data, { headers: { 'cache-control': 'no-store', 'server-timing': serverTiming(timings) } })
})
