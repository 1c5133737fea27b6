import type { Metadata } from 'next'
import path from 'node:path'
import { getTranslations } from 'next-intl/server'
import { countUsers } from '@/lib/accounts/users.server'
import { requirePageUser } from '@/lib/auth/session.server'
import { getContentTree } from '@/lib/content/lessons.server'
import { allProblems } from '@/lib/content/load.server'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach'))('title') }
}

export default async function TeachPage() {
  await requirePageUser('/teach', 'instructor')
  const [t, students] = await Promise.all([getTranslations('teach'), countUsers('student')])
  const tree = getContentTree()
  const problems = allProblems(tree)
  return (
    <main className="mx-auto max-w-4xl px-6 py-10">
      <h1 className="text-3xl font-bold tracking-tight">{t('title')}</h1>
      <p className="mt-2 text-slate-700">{t('intro')}</p>
      <p className="mt-6 text-lg" data-testid="student-count">
        {t('learners', { count: students })}
      </p>
      <section className="mt-8" aria-labelledby="content-heading">
        <h2 id="content-heading" className="text-lg font-semibold">
          {t('content')}
        </h2>
        {problems.length === 0 ? (
          <p className="mt-2 text-emerald-800">{t('contentOk')}</p>
        ) : (
          <>
            <p className="mt-2 text-red-800">{t('contentProblems', { count: problems.length })}</p>
            <ul className="mt-2 list-disc space-y-1 pl-5 font-mono text-xs">
              {problems.slice(0, 50).map((p) => (
                <li key={`${p.file}:${p.field}:${p.message}`}>
                  {path.relative(tree.root, p.file)}: {p.field}: {p.message}
                </li>
              ))}
            </ul>
            <p className="mt-2 text-sm text-slate-600">{t('contentHint')}</p>
          </>
        )}
      </section>
    </main>
  )
}
