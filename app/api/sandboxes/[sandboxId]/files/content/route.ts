import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { readJson } from '@/lib/http/api.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { fileQuerySchema, saveFileBodySchema } from '@/lib/workspace/api'
import { readLessonFile, saveLessonFile } from '@/lib/workspace/service.server'

type Context = { params: Promise<{ sandboxId: string }> }

/** A text file for the editor (up to 1 MiB, not binary). */
export const GET = limitedHandler(async (request: Request, { params }: Context) => {
  const user = await requireApiUser()
  const query = fileQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  return NextResponse.json(await readLessonFile(user, (await params).sandboxId, query))
})

/** Save from the editor (409 when the file changed in the sandbox since it was opened). */
export const PUT = limitedHandler(async (request: Request, { params }: Context) => {
  const user = await requireApiUser()
  // JSON escaping can double a file's size: leave room above the 1 MiB file limit.
  const body = await readJson(request, saveFileBodySchema, 3 * 1024 * 1024)
  return NextResponse.json(await saveLessonFile(user, (await params).sandboxId, body))
})
