'use server'
import { cookies } from 'next/headers'
import { isLocale, localeCookie } from './config'

export async function setLocale(locale: string): Promise<{ error?: string }> {
  if (!isLocale(locale)) return { error: 'unknown locale' }
  ;(await cookies()).set(localeCookie, locale, { path: '/', maxAge: 60 * 60 * 24 * 365, sameSite: 'lax' })
  return {}
}
