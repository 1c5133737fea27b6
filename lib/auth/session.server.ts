import 'server-only'
import { headers } from 'next/headers'
import { cache } from 'react'
import { forbidden, redirect } from 'next/navigation'
import { getAuth } from './auth.server'
import { isRole, type Role } from './roles'

export type SessionUser = { id: string; email: string; name: string; role: Role }

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message)
  }
}

/** The signed-in user of a request (Headers from a route handler, or an upgrade request's). */
export async function getUserFromHeaders(requestHeaders: Headers): Promise<SessionUser | null> {
  const auth = await getAuth()
  const session = await auth.api.getSession({ headers: requestHeaders })
  if (!session) return null
  const { id, email, name } = session.user
  const role = (session.user as { role?: unknown }).role
  return { id, email, name, role: isRole(role) ? role : 'student' }
}

/** The signed-in user of the current page or route; looked up once per request. */
export const getSessionUser = cache(async (): Promise<SessionUser | null> => getUserFromHeaders(await headers()))

/** For route handlers: throws AuthError (401/403), which `apiError` turns into a JSON answer. */
export async function requireApiUser(role?: Role): Promise<SessionUser> {
  const user = await getSessionUser()
  if (!user) throw new AuthError(401, 'sign-in required')
  if (role === 'instructor' && user.role !== 'instructor') throw new AuthError(403, 'instructors only')
  return user
}

/** For pages: redirects to sign-in, or shows the 403 page to a student on instructor pages. */
export async function requirePageUser(returnTo: string, role?: Role): Promise<SessionUser> {
  const user = await getSessionUser()
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(returnTo)}`)
  if (role === 'instructor' && user.role !== 'instructor') forbidden()
  return user
}
