import { requireApiUser } from '@/lib/auth/session.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'
import { csvDownload, handler } from '@/lib/http/api.server'
import { exportOpenAnswersCsv } from '@/lib/open-questions/grading.server'

type Params = { params: Promise<{ id: string }> }

/** The class's open-question grades as CSV, one row per student × question (the exam's lessons when it names some). */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return csvDownload(await exportOpenAnswersCsv(id, user, await readerLocale()))
})
