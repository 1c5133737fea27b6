import { getTranslations } from 'next-intl/server'
import type { GradeColumn, GradeRow } from '@/lib/exams/grades'

/** The class grade sheet: one row per student, one column per exercise, the best grade in each cell. */
export async function GradeSheet({ columns, rows }: { columns: GradeColumn[]; rows: GradeRow[] }) {
  const t = await getTranslations('teach.grades')
  if (columns.length === 0) return <p className="text-sm text-slate-700">{t('noExercise')}</p>
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full border-collapse text-sm" data-testid="grade-sheet">
        <thead>
          <tr className="border-b border-slate-300 text-left">
            <th scope="col" className="px-2 py-1">
              {t('student')}
            </th>
            {columns.map((c) => (
              <th key={`${c.courseSlug}/${c.lessonSlug}/${c.exerciseId}`} scope="col" className="px-2 py-1 font-medium" title={`${c.courseTitle} — ${c.lessonTitle}`}>
                {c.title}
              </th>
            ))}
            <th scope="col" className="px-2 py-1">
              {t('average')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.student.id} className="border-b border-slate-200">
              <th scope="row" className="px-2 py-1 text-left font-medium">
                {row.student.name}
              </th>
              {row.cells.map((cell, i) => (
                <td key={i} className="px-2 py-1 tabular-nums" title={t('attempts', { count: cell.attempts })}>
                  {cell.best === null ? t('none') : `${cell.best} %`}
                </td>
              ))}
              <td className="px-2 py-1 font-semibold tabular-nums">{row.average === null ? t('none') : `${row.average} %`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
