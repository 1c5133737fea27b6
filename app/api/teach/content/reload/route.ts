import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { reloadContent } from '@/lib/authoring/content-reload.server'
import { handler } from '@/lib/http/api.server'

// Instructors only: load the lesson files again, on every web instance, without a restart.
export const POST = handler(async () => {
  const user = await requireApiUser('instructor')
  return NextResponse.json(await reloadContent(user))
})
