import type { Metadata } from 'next'
import { getTranslations } from 'next-intl/server'
import { JoinForm } from '@/components/teach/JoinForm'
import { MyClasses } from '@/components/teach/MyClasses'
import { SignInFirst } from '@/components/teach/SignInFirst'
import { getSessionUser } from '@/lib/auth/session.server'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach.join'))('title') }
}

export default async function JoinPage() {
  const [t, user] = await Promise.all([getTranslations('teach.join'), getSessionUser()])
  return (
    <main className="mx-auto max-w-xl px-6 py-12">
      <h1 className="text-2xl font-bold">{t('title')}</h1>
      {user ? (
        <>
          <p className="mt-2 text-slate-700">{t('intro')}</p>
          <JoinForm />
          <p className="mt-4 text-sm text-slate-600">{t('privacy')}</p>
          <MyClasses userId={user.id} />
        </>
      ) : (
        <SignInFirst next="/join" />
      )}
    </main>
  )
}
