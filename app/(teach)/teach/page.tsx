import type { Metadata } from 'next'
import Link from 'next/link'
import path from 'node:path'
import { getFormatter, getTranslations } from 'next-intl/server'
import { CreateClassForm } from '@/components/teach/CreateClassForm'
import { countUsers } from '@/lib/accounts/users.server'
import { requirePageUser } from '@/lib/auth/session.server'
import { formatJoinCode, listTeachingClasses, type ClassSummary } from '@/lib/classes/classes.server'
import { getContentTree, listCourses } from '@/lib/content/lessons.server'
import { allProblems } from '@/lib/content/load.server'

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach'))('title') }
}

export default async function TeachPage() {
  const user = await requirePageUser('/teach', 'instructor')
  const [t, format, students, classes] = await Promise.all([getTranslations('teach'), getFormatter(), countUsers('student'), listTeachingClasses(user.id)])
  const tree = getContentTree()
  const problems = allProblems(tree)
  const active = classes.filter((c) => !c.archivedAt)
  const archived = classes.filter((c) => c.archivedAt)

  const classItem = (c: ClassSummary) => (
    <li key={c.id} className="flex flex-wrap items-baseline justify-between gap-2 py-3" data-class={c.id}>
      <div>
        <Link href={`/teach/classes/${c.id}`} className="font-semibold text-brand-700 underline" aria-label={t('classes.open', { name: c.name })}>
          {c.name}
        </Link>
        <p className="text-sm text-slate-600">{c.courses.map((course) => course.title).join(' · ')}</p>
      </div>
      <p className="text-sm text-slate-700">
        {t('classes.members', { count: c.memberCount })}
        {!c.archivedAt && (
          <>
            {' · '}
            {t('classes.code')} <span className="font-mono">{formatJoinCode(c.joinCode)}</span>
          </>
        )}
        {c.archivedAt && ` · ${t('classes.archived')} (${format.dateTime(c.archivedAt, { dateStyle: 'medium' })})`}
      </p>
    </li>
  )

  return (
    <main className="mx-auto max-w-4xl px-6 py-10">
      <h1 className="text-3xl font-bold tracking-tight">{t('title')}</h1>
      <p className="mt-2 text-slate-700">{t('intro')}</p>
      <p className="mt-4 flex flex-wrap gap-x-6 gap-y-2 text-sm">
        <span data-testid="student-count">{t('learners', { count: students })}</span>
        <Link href="/teach/preview" className="font-medium text-brand-700 underline">
          {t('previewLink')}
        </Link>
      </p>

      <section className="mt-8" aria-labelledby="classes-heading">
        <h2 id="classes-heading" className="text-xl font-semibold">
          {t('classes.heading')}
        </h2>
        {active.length === 0 ? <p className="mt-2 text-slate-700">{t('classes.none')}</p> : <ul className="mt-2 divide-y divide-slate-200">{active.map(classItem)}</ul>}
      </section>

      <section className="mt-8" aria-labelledby="create-heading">
        <h2 id="create-heading" className="text-xl font-semibold">
          {t('create.heading')}
        </h2>
        <CreateClassForm courses={listCourses().map((c) => ({ slug: c.slug, title: c.index.title }))} />
      </section>

      {archived.length > 0 && (
        <section className="mt-8" aria-labelledby="archived-heading">
          <h2 id="archived-heading" className="text-lg font-semibold text-slate-700">
            {t('classes.archivedHeading')}
          </h2>
          <ul className="mt-2 divide-y divide-slate-200 text-slate-700">{archived.map(classItem)}</ul>
        </section>
      )}

      <section className="mt-10" aria-labelledby="content-heading">
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
