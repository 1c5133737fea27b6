import type { Metadata } from 'next'
import { NextIntlClientProvider } from 'next-intl'
import { getLocale, getTranslations } from 'next-intl/server'
import { Header } from '@/components/layout/Header'
import { getSessionUser } from '@/lib/auth/session.server'
import './globals.css'

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('common')
  return { title: { default: t('brand'), template: `%s · ${t('brand')}` }, description: t('tagline') }
}

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const [locale, user, t] = await Promise.all([getLocale(), getSessionUser(), getTranslations('common')])
  return (
    <html lang={locale}>
      <body>
        <a href="#main" className="skip-link">
          {t('skipToContent')}
        </a>
        <NextIntlClientProvider>
          <Header user={user} />
          <div id="main">{children}</div>
        </NextIntlClientProvider>
      </body>
    </html>
  )
}
