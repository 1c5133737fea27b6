import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { lessonQuerySchema } from '@/lib/workspace/api'
import { listLessonFiles } from '@/lib/workspace/service.server'

/** The lesson folder's files (recursive, bounded). */
export const GET = limitedHandler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const query = lessonQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  return NextResponse.json(await listLessonFiles(user, (await params).sandboxId, query))
})
