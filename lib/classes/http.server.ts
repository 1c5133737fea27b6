import 'server-only'
import { forbidden, notFound } from 'next/navigation'
import { ApiError, handler } from '../http/api.server'
import { ClassError } from './errors'

// ClassError to the web: JSON answers for route handlers, 404/403 pages for pages.

/** handler() that also answers ClassErrors with their status, code and message. */
export function classHandler<Args extends unknown[]>(fn: (...args: Args) => Promise<Response>) {
  return handler(async (...args: Args) => {
    try {
      return await fn(...args)
    } catch (error) {
      if (error instanceof ClassError) throw new ApiError(error.status, error.code, error.message, error.details)
      throw error
    }
  })
}

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
