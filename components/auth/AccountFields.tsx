'use client'
import { useTranslations } from 'next-intl'

const input = 'mt-1 block w-full rounded border border-slate-400 px-3 py-2 focus:border-brand-600'

/** Name (for a new account), e-mail and password fields: the sign-in, sign-up and setup forms read them by name. */
export function AccountFields({ newAccount }: { newAccount: boolean }) {
  const t = useTranslations('auth')
  return (
    <>
      {newAccount && (
        <label className="block text-sm font-medium">
          {t('fields.name')}
          <input className={input} name="name" autoComplete="name" maxLength={80} />
        </label>
      )}
      <label className="block text-sm font-medium">
        {t('fields.email')}
        <input className={input} name="email" type="email" autoComplete="email" required />
      </label>
      <label className="block text-sm font-medium">
        {t('fields.password')}
        <input className={input} name="password" type="password" autoComplete={newAccount ? 'new-password' : 'current-password'} minLength={8} required />
        {newAccount && <span className="mt-1 block text-xs text-slate-600">{t('fields.passwordHint')}</span>}
      </label>
    </>
  )
}
