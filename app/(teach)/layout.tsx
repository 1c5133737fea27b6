import { TeachIntl } from '@/components/teach/TeachIntl'

export default function TeachLayout({ children }: { children: React.ReactNode }) {
  return <TeachIntl>{children}</TeachIntl>
}
