'use client'
import { useSyncExternalStore } from 'react'

const subscribe = () => () => undefined

/**
 * False in the server's HTML, true once React runs in the browser. The sign-in and setup forms
 * keep their button disabled until then: a click before that would submit the form natively,
 * as a GET carrying the password in the URL.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  )
}
