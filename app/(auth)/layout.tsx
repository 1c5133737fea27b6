import { ScopedIntl } from '@/components/layout/ScopedIntl'
import { authClientMessages } from '@/lib/i18n/client-messages'

// The account forms' strings, on these pages only.
export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return <ScopedIntl namespaces={authClientMessages}>{children}</ScopedIntl>
}
