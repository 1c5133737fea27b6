import type { Metadata } from 'next'
import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { SetupForm } from '@/components/auth/SetupForm'
import { getSessionUser } from '@/lib/auth/session.server'
import { setupTokenState } from '@/lib/auth/setup-token.server'

type Props = { searchParams: Promise<{ token?: string | string[] }> }

export async function generateMetadata(): Promise<Metadata> {
  // The token is in this page's URL: it must not leave in a Referer header.
  return { title: (await getTranslations('auth'))('setup.title'), referrer: 'no-referrer', robots: { index: false } }
}

/** The setup link printed by the server: its holder becomes an instructor. */
export default async function SetupPage({ searchParams }: Props) {
  const raw = (await searchParams).token
  const token = typeof raw === 'string' && raw.length >= 16 && raw.length <= 200 ? raw : null
  const [t, user, state] = await Promise.all([getTranslations('auth'), getSessionUser(), token ? setupTokenState(token) : Promise.resolve(null)])

  let body: React.ReactNode
  if (!token || state === null) body = <p role="alert">{t('setup.missing')}</p>
  else if (state !== 'valid') {
    body = (
      <div role="alert" className="rounded border border-red-300 bg-red-50 p-4 text-red-900" data-setup-state={state}>
        <p className="font-semibold">{t(`setup.state.${state}`)}</p>
        <p className="mt-1 text-sm">{t('setup.newToken')}</p>
      </div>
    )
  } else if (user?.role === 'instructor') body = <p role="status">{t('setup.alreadyInstructor', { email: user.email })}</p>
  else {
    body = (
      <>
        <SetupForm token={token} signedInEmail={user?.email ?? null} />
        {!user && (
          <p className="mt-6 text-sm text-slate-700">
            {t('setup.haveAccount')}{' '}
            <Link className="font-medium text-brand-700 underline" href={`/sign-in?next=${encodeURIComponent(`/setup?token=${token}`)}`}>
              {t('signIn.title')}
            </Link>
          </p>
        )}
      </>
    )
  }

  return (
    <main className="mx-auto max-w-md px-6 py-16">
      <h1 className="text-2xl font-bold">{t('setup.title')}</h1>
      <p className="mt-2 text-sm text-slate-600">{t('setup.intro')}</p>
      <div className="mt-6">{body}</div>
    </main>
  )
}
