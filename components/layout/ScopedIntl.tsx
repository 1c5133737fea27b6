import { NextIntlClientProvider } from 'next-intl'
import { getMessages } from 'next-intl/server'

// The root layout hands client components only the namespaces every page needs; a part of a
// page that needs more (the hands-on panel, the instructor space) wraps itself in this, so the
// other pages never carry those strings. A nested provider replaces the outer one's messages:
// list every namespace the client components under it use.
export async function ScopedIntl({ children, namespaces }: { children: React.ReactNode; namespaces: string[] }) {
  const messages = (await getMessages()) as Record<string, unknown>
  return <NextIntlClientProvider messages={Object.fromEntries(Object.entries(messages).filter(([n]) => namespaces.includes(n)))}>{children}</NextIntlClientProvider>
}
