'use client'
import Link from 'next/link'
import { useTranslations } from 'next-intl'
import { useRouter, useSearchParams } from 'next/navigation'
import { useId, useState } from 'react'
import { authClient } from '@/lib/auth/client'
import { AccountFields } from './AccountFields'
import { useHydrated } from '@/lib/auth/hydrated'
import { localPath } from '@/lib/auth/next-path'
import { waitWords } from '@/lib/i18n/wait'

type Mode = 'signIn' | 'signUp'

type AuthError = { code?: string; status?: number; retryAfterSeconds?: unknown }

function errorKey(error: AuthError | null): string {
  if (!error) return 'generic'
  switch (error.code) {
    case 'INVALID_EMAIL_OR_PASSWORD':
      return 'invalidCredentials'
    case 'USER_ALREADY_EXISTS':
    case 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL':
      return 'userExists'
    case 'PASSWORD_TOO_SHORT':
      return 'passwordTooShort'
    case 'INVALID_EMAIL':
      return 'invalidEmail'
    case 'EMAIL_PASSWORD_SIGN_UP_DISABLED':
      return 'signUpDisabled'
    case 'too_many_failed_sign_ins':
      return 'tooManyFailedSignIns'
    case 'too_many_sign_ins_from_address':
      return 'tooManySignInsFromAddress'
    case 'too_many_sign_ups':
      return 'tooManySignUps'
    default:
      return error.status === 429 ? 'tooManyRequests' : 'generic'
  }
}

export function AuthForm({ mode }: { mode: Mode }) {
  const t = useTranslations('auth')
  const router = useRouter()
  const tw = useTranslations('auth.wait')
  const waitText = (seconds: number) => waitWords(tw, seconds)
  // Only a path on Quai's own origin is followed after signing in (lib/auth/next-path.ts).
  const next = localPath(useSearchParams().get('next'))
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  const hydrated = useHydrated()
  const id = useId()
  const errorId = `${id}-error`

  // onSubmit rather than a form action: React resets a form after its action runs,
  // which would wipe the email a learner typed before a failed attempt.
  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setPending(true)
    setError(null)
    const email = String(form.get('email') ?? '').trim()
    const password = String(form.get('password') ?? '')
    const result =
      mode === 'signUp'
        ? await authClient.signUp.email({ email, password, name: String(form.get('name') ?? '').trim() || email.split('@')[0]! })
        : await authClient.signIn.email({ email, password })
    setPending(false)
    if (result.error) {
      const error = result.error as AuthError
      // The limits say how long to wait, to the second: the message gives that wait, not a guess.
      const seconds = typeof error.retryAfterSeconds === 'number' ? error.retryAfterSeconds : null
      setError(t(`errors.${errorKey(error)}`, { wait: seconds === null ? '' : waitText(seconds) }))
      return
    }
    router.push(next)
    router.refresh()
  }

  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-bold">{t(`${mode}.title`)}</h1>
      <form onSubmit={onSubmit} className="mt-6 space-y-4" aria-describedby={error ? errorId : undefined} noValidate>
        <AccountFields newAccount={mode === 'signUp'} />
        {error && (
          <p id={errorId} role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        )}
        <button
          type="submit"
          disabled={pending || !hydrated}
          className="w-full rounded bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60"
        >
          {pending ? t('pending') : t(`${mode}.submit`)}
        </button>
      </form>
      <p className="mt-6 text-sm text-slate-700">
        {mode === 'signIn' ? t('signIn.noAccount') : t('signUp.hasAccount')}{' '}
        <Link className="font-medium text-brand-700 underline" href={`${mode === 'signIn' ? '/sign-up' : '/sign-in'}${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>
          {mode === 'signIn' ? t('signIn.signUpLink') : t('signUp.signInLink')}
        </Link>
      </p>
    </main>
  )
}
