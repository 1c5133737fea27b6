import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { regenerateJoinCode } from '@/lib/classes/classes.server'
import { idParam, regenerateCodeInput } from '@/lib/classes/schemas'
import { handler, readJson } from '@/lib/http/api.server'

type Params = { params: Promise<{ id: string }> }

/** A new join code (the old one stops working), with an optional expiry: { joinCodeExpiresAt }. */
export const POST = handler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser('instructor')
  const id = idParam.parse((await params).id)
  const { joinCodeExpiresAt } = await readJson(request, regenerateCodeInput, 1024)
  return NextResponse.json(await regenerateJoinCode(id, user, joinCodeExpiresAt))
})
