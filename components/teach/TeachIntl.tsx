import { NextIntlClientProvider } from 'next-intl'
import { getMessages } from 'next-intl/server'

// The root layout hands client components only the learner namespaces; the instructor
// space and the join pages add theirs here, so students' pages never carry these strings.
// Only what the client components under it use: `teach`, and `learn` for the lesson body
// shown by the authoring preview.
const defaultNamespaces = ['common', 'learn', 'teach']

export async function TeachIntl({ children, namespaces = defaultNamespaces }: { children: React.ReactNode; namespaces?: string[] }) {
  const messages = (await getMessages()) as Record<string, unknown>
  return <NextIntlClientProvider messages={Object.fromEntries(Object.entries(messages).filter(([n]) => namespaces.includes(n)))}>{children}</NextIntlClientProvider>
}
