import { NextResponse } from 'next/server'
import { requireApiUser } from '@/lib/auth/session.server'
import { createClass, listTeachingClasses } from '@/lib/classes/classes.server'
import { createClassInput } from '@/lib/classes/schemas'
import { handler, readJson } from '@/lib/http/api.server'

/** The classes the signed-in instructor teaches. */
export const GET = handler(async () => {
  const user = await requireApiUser('instructor')
  return NextResponse.json({ classes: await listTeachingClasses(user.id) })
})

/** Create a class: { name, courses, joinCodeExpiresAt? }. */
export const POST = handler(async (request: Request) => {
  const user = await requireApiUser('instructor')
  const input = await readJson(request, createClassInput, 8 * 1024)
  return NextResponse.json(await createClass(user, input), { status: 201 })
})
