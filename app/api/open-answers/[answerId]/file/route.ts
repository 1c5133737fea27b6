import { requireApiUser } from '@/lib/auth/session.server'
import { handler } from '@/lib/http/api.server'
import { answerIdParam } from '@/lib/open-questions/api'
import { answerFileFor } from '@/lib/open-questions/grading.server'

type Params = { params: Promise<{ answerId: string }> }

/**
 * The file of an open answer, for its learner and the instructors of the learner's classes (404
 * for anyone else). Always an attachment, with the type recognised from its bytes, no sniffing,
 * and a sandbox policy: a file never runs as a page of Quai's origin.
 */
export const GET = handler(async (_request: Request, { params }: Params) => {
  const user = await requireApiUser()
  const file = await answerFileFor(user, answerIdParam.parse((await params).answerId))
  return new Response(Buffer.from(file.data), {
    headers: {
      'content-type': file.contentType,
      'content-length': String(file.data.byteLength),
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    },
  })
})
