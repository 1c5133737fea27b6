import { TeachIntl } from '@/components/teach/TeachIntl'

export default function JoinLayout({ children }: { children: React.ReactNode }) {
  return <TeachIntl>{children}</TeachIntl>
}
