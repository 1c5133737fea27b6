import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { maxOpenFileMb } from '@/lib/content/open-questions'
import { getLesson } from '@/lib/content/lessons.server'
import { ApiError, handler, notFoundError, validationError } from '@/lib/http/api.server'
import { admit, limitedHandler } from '@/lib/http/usage-limits.server'
import { saveAnswerFields } from '@/lib/open-questions/api'
import { ownAnswer, saveOwnAnswer, type UploadedFile } from '@/lib/open-questions/answers.server'

type Params = { params: Promise<{ course: string; lesson: string; question: string }> }

async function lessonOf(params: Params['params']) {
  const { course, lesson: lessonSlug, question } = await params
  const lesson = getLesson(course, lessonSlug)
  if (!lesson || lesson.openQuestions.length === 0) throw notFoundError('lesson')
  return { lesson, question }
}

/** GET: the signed-in learner's own answer (null before any save), never anyone else's. */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const { lesson, question } = await lessonOf(params)
  return NextResponse.json(await ownAnswer(user, lesson, question))
})

/** The largest body: the largest file an author may allow, the text (4 bytes a character at most) and the form's framing. */
const maxBodyBytes = maxOpenFileMb * 1024 * 1024 + 256 * 1024

// POST multipart/form-data { action: draft|submit, text, removeFile, file? }: saves the learner's
// answer. 404 no such question, 409 answer_locked / exam_over / already_submitted, 413 too large,
// 415 file_type_refused, 422 invalid fields or an empty hand-in, 429 past the `fileCalls` limits.
export const POST = limitedHandler(async (request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const { lesson, question } = await lessonOf(params)
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (!declared || declared > maxBodyBytes) {
    throw new ApiError(declared ? 413 : 411, declared ? 'too_large' : 'length_required', `answers are limited to ${maxOpenFileMb} MB (with a Content-Length)`)
  }
  if (!(request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_media_type', 'send the answer as multipart/form-data')
  }
  const release = await admit('fileCalls', user.id)
  try {
    const form = await request.formData().catch(() => {
      throw new ApiError(400, 'invalid_form', 'the body is not a valid multipart form')
    })
    const fileField = form.get('file')
    const fields = Object.fromEntries([...form.entries()].filter(([name]) => name !== 'file'))
    const parsed = saveAnswerFields.safeParse(fields)
    if (!parsed.success) throw validationError(parsed.error)
    let upload: UploadedFile | null = null
    if (fileField instanceof File && fileField.size > 0) upload = { name: fileField.name, bytes: new Uint8Array(await fileField.arrayBuffer()) }
    else if (fileField !== null && !(fileField instanceof File)) throw new ApiError(422, 'invalid_input', 'invalid input: file', { fields: [{ field: 'file', message: 'must be a file' }] })
    return NextResponse.json(await saveOwnAnswer(user, lesson, question, parsed.data, upload))
  } finally {
    release()
  }
})
