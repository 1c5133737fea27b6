import type { Metadata } from 'next'
import { NextIntlClientProvider } from 'next-intl'
import { getLocale, getMessages, getTranslations } from 'next-intl/server'
import { Header } from '@/components/layout/Header'
import { getSessionUser } from '@/lib/auth/session.server'
import { getEnv } from '@/lib/env.server'
import { rootClientMessages } from '@/lib/i18n/client-messages'
import { pickMessages } from '@/lib/i18n/pick'
import './globals.css'

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('common')
  // The social preview (public/social-preview.png, from docs/screenshot.png) needs an absolute
  // URL in link previews: metadataBase makes it one on the configured address (QUAI_URL).
  const preview = { url: '/social-preview.png', width: 1200, height: 630, alt: t('tagline') }
  return {
    metadataBase: new URL(getEnv().appUrl),
    title: { default: t('brand'), template: `%s · ${t('brand')}` },
    description: t('tagline'),
    openGraph: { type: 'website', siteName: t('brand'), images: [preview] },
    twitter: { card: 'summary_large_image', images: [preview] },
  }
}

// Every page carries these in its flight data: only what the header's and the error page's
// client components read. Server-only strings stay on the server, and the parts of pages that
// need more (sign-in, lessons, the hands-on panel, the instructor space) add theirs (ScopedIntl).
const clientMessages = (messages: Record<string, unknown>) => pickMessages(messages, rootClientMessages)

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const [locale, user, t, messages] = await Promise.all([getLocale(), getSessionUser(), getTranslations('common'), getMessages()])
  return (
    <html lang={locale}>
      <body>
        <a href="#main" className="skip-link">
          {t('skipToContent')}
        </a>
        <NextIntlClientProvider messages={clientMessages(messages)}>
          <Header user={user} />
          <div id="main">{children}</div>
        </NextIntlClientProvider>
      </body>
    </html>
  )
}
