import clsx from 'clsx'
import { getTranslations } from 'next-intl/server'
import type { LessonStatus } from '@/lib/progress/rules'

const styles: Record<LessonStatus | 'broken', string> = {
  'not-started': 'border-slate-300 bg-white text-slate-700',
  'in-progress': 'border-amber-400 bg-amber-50 text-amber-900',
  completed: 'border-emerald-500 bg-emerald-50 text-emerald-900',
  broken: 'border-red-300 bg-red-50 text-red-800',
}

export async function StatusBadge({ status }: { status: LessonStatus | 'broken' }) {
  const t = await getTranslations('common.status')
  return (
    <span data-status={status} className={clsx('inline-flex items-center rounded-full border px-2 py-0.5 text-xs font-medium', styles[status])}>
      {status === 'completed' && <span aria-hidden="true" className="mr-1">✓</span>}
      {t(status)}
    </span>
  )
}
