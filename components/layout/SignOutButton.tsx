'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { authClient } from '@/lib/auth/client'

export function SignOutButton() {
  const t = useTranslations('common.nav')
  const router = useRouter()
  return (
    <button
      type="button"
      className="rounded px-2 py-1 text-sm text-slate-700 hover:bg-slate-100"
      onClick={async () => {
        await authClient.signOut()
        router.push('/')
        router.refresh()
      }}
    >
      {t('signOut')}
    </button>
  )
}
