import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import type { SessionUser } from '@/lib/auth/session.server'
import { LocaleSwitch } from './LocaleSwitch'
import { SignOutButton } from './SignOutButton'

export async function Header({ user }: { user: SessionUser | null }) {
  const t = await getTranslations('common')
  const link = 'rounded px-2 py-1 text-sm font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-900'
  return (
    <header className="sticky top-0 z-40 border-b border-slate-200 bg-white/95 backdrop-blur">
      <div className="flex h-12 items-center gap-4 px-4">
        <Link href="/" className="flex items-center gap-2 font-semibold text-brand-700">
          <span aria-hidden="true" className="inline-block h-5 w-5 rounded bg-brand-600" />
          {t('brand')}
        </Link>
        <nav aria-label={t('nav.label')} className="flex items-center gap-1">
          <Link className={link} href="/">
            {t('nav.catalogue')}
          </Link>
          {user && (
            <Link className={link} href="/progress">
              {t('nav.progress')}
            </Link>
          )}
          {user && (
            <Link className={link} href="/join">
              {t('nav.classes')}
            </Link>
          )}
          {user?.role === 'instructor' && (
            <Link className={link} href="/teach">
              {t('nav.teach')}
            </Link>
          )}
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <LocaleSwitch />
          {user ? (
            <>
              <span className="hidden text-sm text-slate-600 sm:inline" title={user.email}>
                {user.name} · {t(`role.${user.role}`)}
              </span>
              <SignOutButton />
            </>
          ) : (
            <>
              <Link className={link} href="/sign-in">
                {t('nav.signIn')}
              </Link>
              <Link className="rounded bg-brand-600 px-3 py-1 text-sm font-medium text-white hover:bg-brand-700" href="/sign-up">
                {t('nav.signUp')}
              </Link>
            </>
          )}
        </div>
      </div>
    </header>
  )
}
