import type { Metadata } from 'next'
import { getTranslations } from 'next-intl/server'
import { Suspense } from 'react'
import { AuthForm } from '@/components/auth/AuthForm'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('auth'))('signUp.title') }
}

export default function Page() {
  return (
    <Suspense>
      <AuthForm mode="signUp" />
    </Suspense>
  )
}
