import { NextIntlClientProvider } from 'next-intl'
import { getMessages } from 'next-intl/server'
import { pickMessages } from '@/lib/i18n/pick'

// The root layout hands client components only the messages every page needs; a part of a
// page that needs more (a lesson, the hands-on panel, the instructor space) wraps itself in
// this, so the other pages never carry those strings. A nested provider replaces the outer
// one's messages: list every namespace the client components under it use, or a part of one
// ("learn.quiz"); `omit` leaves out a part of what is listed (lib/i18n/client-messages.ts).
export async function ScopedIntl({ children, namespaces, omit }: { children: React.ReactNode; namespaces: readonly string[]; omit?: readonly string[] }) {
  const messages = (await getMessages()) as Record<string, unknown>
  return <NextIntlClientProvider messages={pickMessages(messages, namespaces, omit)}>{children}</NextIntlClientProvider>
}
