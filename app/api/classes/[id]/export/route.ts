import { requireApiUser } from '@/lib/auth/session.server'
import { exportClassCsv } from '@/lib/classes/dashboard.server'
import { csvDownload, handler } from '@/lib/http/api.server'
import { readerLocale } from '@/lib/classes/locale.server'
import { idParam } from '@/lib/classes/schemas'

type Params = { params: Promise<{ id: string }> }

/** CSV, one row per student × lesson. Refusals are JSON, like every API answer. */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  return csvDownload(await exportClassCsv(id, user, await readerLocale()))
})
