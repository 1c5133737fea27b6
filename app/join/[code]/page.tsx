import type { Metadata } from 'next'
import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import { JoinForm } from '@/components/teach/JoinForm'
import { SignInFirst } from '@/components/teach/SignInFirst'
import { getSessionUser } from '@/lib/auth/session.server'
import { previewJoinCode } from '@/lib/classes/classes.server'
import { ClassError } from '@/lib/classes/errors'
import { waitWords } from '@/lib/i18n/wait'

type Props = { params: Promise<{ code: string }> }

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach.join'))('title') }
}

/**
 * The join link. Signed out: sign in or up, and come back here. Signed in: the class's name
 * and a button; nothing is joined by merely opening the link.
 */
export default async function JoinLinkPage({ params }: Props) {
  const { code: raw } = await params
  const code = decodeURIComponent(raw).slice(0, 40)
  const [t, te, tw, user] = await Promise.all([getTranslations('teach.join'), getTranslations('teach.errors'), getTranslations('teach.wait'), getSessionUser()])
  if (!user) {
    return (
      <main className="mx-auto max-w-xl px-6 py-12">
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <SignInFirst next={`/join/${encodeURIComponent(code)}`} />
      </main>
    )
  }
  let preview: Awaited<ReturnType<typeof previewJoinCode>> | null = null
  let refusal: string | null = null
  try {
    preview = await previewJoinCode(code, user.id)
  } catch (error) {
    if (!(error instanceof ClassError)) throw error
    const wait = error.details.retryAfterSeconds
    refusal = error.code === 'too_many_attempts' && typeof wait === 'number' ? te('too_many_attempts_wait', { wait: waitWords(tw, wait) }) : te(error.code as Parameters<typeof te>[0])
  }
  return (
    <main className="mx-auto max-w-xl px-6 py-12">
      <h1 className="text-2xl font-bold">{t('title')}</h1>
      {refusal !== null && (
        <div role="alert" className="mt-4 rounded border border-red-300 bg-red-50 p-4 text-red-900">
          <p className="font-semibold">{t('refused')}</p>
          <p className="mt-1">{refusal}</p>
          <Link href="/join" className="mt-2 inline-block underline">
            {t('title')}
          </Link>
        </div>
      )}
      {preview && preview.teaches && <p className="mt-4 rounded bg-slate-50 px-4 py-3">{te('teaches_class')}</p>}
      {preview && !preview.teaches && preview.alreadyMember && (
        <p role="status" className="mt-4 rounded bg-emerald-50 px-4 py-3 text-emerald-900">
          {t('alreadyMember', { name: preview.classroom.name })}{' '}
          <Link href="/" className="font-medium underline">
            {t('goCourses')}
          </Link>
        </p>
      )}
      {preview && !preview.teaches && !preview.alreadyMember && (
        <>
          <p className="mt-4 text-lg">{t('invited', { name: preview.classroom.name })}</p>
          <p className="mt-2 text-sm text-slate-600">{t('privacy')}</p>
          <JoinForm code={code} confirmLabel={t('confirm', { name: preview.classroom.name })} />
        </>
      )}
    </main>
  )
}
