import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'
import { getStudentReport } from '@/lib/classes/student.server'

type Params = { params: Promise<{ id: string; userId: string }> }

/** One student's attempts in the class's courses (what the student page renders). */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const { id, userId } = await params
  return NextResponse.json(await getStudentReport(idParam.parse(id), user, idParam.parse(userId), await readerLocale()), { headers: { 'cache-control': 'no-store' } })
})
