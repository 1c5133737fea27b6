'use client'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useId, useState } from 'react'
import { authClient } from '@/lib/auth/client'
import { useHydrated } from '@/lib/auth/hydrated'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { AccountFields } from './AccountFields'

const knownErrors = new Set(['setup_token_unknown', 'setup_token_used', 'setup_token_expired', 'email_taken'])

/** Uses the setup link: promotes the signed-in account, or creates the instructor account and signs in with it. */
export function SetupForm({ token, signedInEmail }: { token: string; signedInEmail: string | null }) {
  const t = useTranslations('auth')
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  const hydrated = useHydrated()
  const id = useId()

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const email = String(form.get('email') ?? '').trim()
    const password = String(form.get('password') ?? '')
    const name = String(form.get('name') ?? '').trim() || email.split('@')[0]!
    setPending(true)
    setError(null)
    try {
      const answer = await fetchJson('/setup/claim', unreadBody, {
        method: 'POST',
        json: signedInEmail ? { token } : { token, account: { name, email, password } },
      })
      if (!answer.ok) {
        const { code, fields } = answer.error
        if (knownErrors.has(code)) setError(t(`setup.errors.${code}`))
        else if (code === 'invalid_input') setError(t('setup.errors.invalid_input', { fields: (fields ?? []).map((f) => f.field).join(', ') }))
        else setError(t('errors.generic'))
        return
      }
      if (!signedInEmail) {
        const signedIn = await authClient.signIn.email({ email, password })
        if (signedIn.error) {
          router.push('/sign-in?next=/teach')
          return
        }
      }
      router.push('/teach')
      router.refresh()
    } catch {
      setError(t('errors.generic'))
    } finally {
      setPending(false)
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-describedby={error ? `${id}-error` : undefined} noValidate>
      {signedInEmail ? (
        <p>{t('setup.promote', { email: signedInEmail })}</p>
      ) : (
        <>
          <p>{t('setup.create')}</p>
          <AccountFields newAccount />
        </>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      )}
      <button type="submit" disabled={pending || !hydrated} className="w-full rounded bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60">
        {pending ? t('pending') : t(signedInEmail ? 'setup.promoteSubmit' : 'setup.createSubmit')}
      </button>
    </form>
  )
}
