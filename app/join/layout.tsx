import { TeachIntl } from '@/components/teach/TeachIntl'

export default function JoinLayout({ children }: { children: React.ReactNode }) {
  return <TeachIntl namespaces={['common', 'teach']}>{children}</TeachIntl>
}
