import type { Metadata } from 'next'
import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { GradeSheet } from '@/components/teach/GradeSheet'
import { requirePageUser } from '@/lib/auth/session.server'
import { orPage } from '@/lib/classes/http.server'
import { idParam } from '@/lib/classes/schemas'
import { gradesCsvApi } from '@/lib/exams/api'
import { getGradeSheetPage } from '@/lib/exams/grades.server'

// The class grade sheet, one page of students at a time (gradeSheetPageSize): the class
// dashboard links here rather than carrying students × exercises cells on every look.

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ page?: string | string[] }> }

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach.grades'))('heading') }
}

export default async function GradeSheetPage({ params, searchParams }: Props) {
  const { id } = await params
  const user = await requirePageUser(`/teach/classes/${id}/grades`, 'instructor')
  const classId = idParam.safeParse(id).data ?? 'not-a-class'
  const requested = (await searchParams).page
  const sheet = await orPage(getGradeSheetPage(classId, user, typeof requested === 'string' ? Number(requested) : 1))
  const [t, format] = await Promise.all([getTranslations('teach.grades'), getFormatter()])
  const { exam, page } = sheet
  const when = (iso: string) => format.dateTime(new Date(iso), { dateStyle: 'long', timeStyle: 'short' })
  const href = (n: number) => `/teach/classes/${encodeURIComponent(classId)}/grades${n === 1 ? '' : `?page=${n}`}`
  const pager =
    page.pages > 1 ? (
      <nav aria-label={t('pages')} className="flex flex-wrap items-center gap-3 text-sm">
        <span>{t('range', { from: page.offset + 1, to: page.offset + sheet.rows.length, total: page.students })}</span>
        <span>· {t('pageOf', { page: page.page, pages: page.pages })}</span>
        {page.page > 1 && (
          <Link href={href(page.page - 1)} rel="prev" className="rounded border border-slate-400 px-2 py-1 hover:bg-slate-50">
            {t('previous')}
          </Link>
        )}
        {page.page < page.pages && (
          <Link href={href(page.page + 1)} rel="next" className="rounded border border-slate-400 px-2 py-1 hover:bg-slate-50">
            {t('next')}
          </Link>
        )}
      </nav>
    ) : null

  return (
    <main className="mx-auto max-w-7xl px-6 py-8">
      <nav aria-label={t('back', { name: sheet.className })} className="text-sm">
        <Link href={`/teach/classes/${encodeURIComponent(classId)}`} className="text-slate-600 underline hover:text-slate-900">
          {t('back', { name: sheet.className })}
        </Link>
      </nav>
      <div className="mt-2 flex flex-wrap items-baseline justify-between gap-3">
        <h1 className="text-3xl font-bold tracking-tight">
          {t('heading')} · {sheet.className}
        </h1>
        <a href={gradesCsvApi(classId)} download className="rounded border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
          {t('export')}
        </a>
      </div>
      <p className="mt-1 text-sm text-slate-700">
        {t('hint')} {exam && t('windowNote', { start: when(exam.startsAt), end: when(exam.endsAt) })}
      </p>
      {pager && <div className="mt-4">{pager}</div>}
      <div className="mt-3">
        <GradeSheet columns={sheet.columns} rows={sheet.rows} />
      </div>
    </main>
  )
}
