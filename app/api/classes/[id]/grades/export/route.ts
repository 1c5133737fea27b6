import { requireApiUser } from '@/lib/auth/session.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'
import { exportGradesCsv } from '@/lib/exams/grades.server'
import { csvDownload, handler } from '@/lib/http/api.server'

type Params = { params: Promise<{ id: string }> }

/** The class grade sheet as CSV, one row per student × exercise (the exam's window and lessons when one is set). */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return csvDownload(await exportGradesCsv(id, user, await readerLocale()))
})
