import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { ApiError } from '@/lib/http/api.server'
import { limitedHandler } from '@/lib/http/usage-limits.server'
import { uploadQuerySchema } from '@/lib/workspace/api'
import { fileLimits } from '@/lib/workspace/files.server'
import { uploadLessonFile } from '@/lib/workspace/service.server'

/** One file (multipart field "file"), up to 10 MiB, into a folder of the lesson. */
export const POST = limitedHandler(async (request: Request, { params }: { params: Promise<{ sandboxId: string }> }) => {
  const user = await requireApiUser()
  const query = uploadQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams))
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (!declared || declared > fileLimits.uploadBytes + 64 * 1024) {
    throw new ApiError(declared ? 413 : 411, declared ? 'too_large' : 'length_required', 'uploads are limited to 10 MiB (with a Content-Length)')
  }
  if (!(request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_media_type', 'send the file as multipart/form-data, field "file"')
  }
  const uploaded = await uploadLessonFile(user, (await params).sandboxId, query, async () => {
    const file = (await request.formData()).get('file')
    if (!(file instanceof File)) throw new ApiError(422, 'invalid_input', 'the form has no "file" field')
    return { name: file.name, body: Buffer.from(await file.arrayBuffer()) }
  })
  return NextResponse.json(uploaded)
})
