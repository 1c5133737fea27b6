import 'server-only'
import { getLocale } from 'next-intl/server'
import type { Locale } from './dashboard.server'

/** The reader's locale, narrowed to the two Quai speaks. */
export async function readerLocale(): Promise<Locale> {
  return (await getLocale()) === 'en' ? 'en' : 'fr'
}
