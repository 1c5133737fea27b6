import { ScopedIntl } from '@/components/layout/ScopedIntl'

// The instructor space and the join pages: `teach`, and `learn` for the lesson body shown by
// the authoring preview. Students' pages never carry these strings.
const defaultNamespaces = ['common', 'learn', 'teach']

export function TeachIntl({ children, namespaces = defaultNamespaces }: { children: React.ReactNode; namespaces?: string[] }) {
  return <ScopedIntl namespaces={namespaces}>{children}</ScopedIntl>
}
