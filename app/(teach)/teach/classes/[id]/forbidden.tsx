import Link from 'next/link'
import { getTranslations } from 'next-intl/server'

// A class's pages refuse anyone who does not teach it: another instructor, a student.
export default async function ClassForbidden() {
  const t = await getTranslations('teach.forbiddenClass')
  return (
    <main className="mx-auto max-w-xl px-6 py-20 text-center">
      <p className="text-sm font-semibold text-red-700">403</p>
      <h1 className="mt-2 text-2xl font-bold">{t('title')}</h1>
      <p className="mt-3 text-slate-600">{t('body')}</p>
      <Link href="/teach" className="mt-6 inline-block rounded bg-brand-600 px-4 py-2 text-white hover:bg-brand-700">
        {t('back')}
      </Link>
    </main>
  )
}
