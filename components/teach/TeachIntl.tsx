import { NextIntlClientProvider } from 'next-intl'
import { getMessages } from 'next-intl/server'

// The root layout hands client components only the learner namespaces; the instructor
// space and the join pages add theirs here, so students' pages never carry these strings.
const namespaces = ['common', 'auth', 'learn', 'workspace', 'exercises', 'teach']

export async function TeachIntl({ children }: { children: React.ReactNode }) {
  const messages = (await getMessages()) as Record<string, unknown>
  return <NextIntlClientProvider messages={Object.fromEntries(Object.entries(messages).filter(([n]) => namespaces.includes(n)))}>{children}</NextIntlClientProvider>
}
