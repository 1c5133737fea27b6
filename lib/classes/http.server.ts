import 'server-only'
import { forbidden, notFound } from 'next/navigation'
import { ClassError } from './errors'

// ClassError to pages: 404/403 pages (route handlers answer it as any ApiError: handler()).

/** For pages: a missing class or student is a 404 page, someone else's class a 403 page. */
export async function orPage<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise
  } catch (error) {
    if (error instanceof ClassError) {
      if (error.status === 404) notFound()
      if (error.status === 403) forbidden()
    }
    throw error
  }
}
