import Link from 'next/link'
import { getTranslations } from 'next-intl/server'

/** Joining needs an account: sign in or sign up, then come back to `next`. */
export async function SignInFirst({ next }: { next: string }) {
  const t = await getTranslations('teach.join')
  const query = `?next=${encodeURIComponent(next)}`
  return (
    <div className="mt-4 rounded border border-brand-100 bg-brand-50 p-4">
      <p>{t('signInFirst')}</p>
      <p className="mt-3 flex gap-3">
        <Link href={`/sign-in${query}`} className="rounded border border-slate-400 bg-white px-3 py-1.5 font-medium hover:bg-slate-50">
          {t('signIn')}
        </Link>
        <Link href={`/sign-up${query}`} className="rounded bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">
          {t('signUp')}
        </Link>
      </p>
    </div>
  )
}
