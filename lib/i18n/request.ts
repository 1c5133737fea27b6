import { cookies } from 'next/headers'
import { getRequestConfig } from 'next-intl/server'
import { defaultLocale, isLocale, localeCookie } from './config'
import { loadMessages } from './messages.server'

// No locale in URLs: the learner's choice lives in a cookie; French until they choose.
export default getRequestConfig(async () => {
  const chosen = (await cookies()).get(localeCookie)?.value
  const locale = isLocale(chosen) ? chosen : defaultLocale
  return { locale, messages: loadMessages(locale), timeZone: 'Europe/Paris' }
})
