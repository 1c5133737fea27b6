import { getTranslations } from 'next-intl/server'
import type { GradeColumn, GradeRow } from '@/lib/exams/grades'

/**
 * The class grade sheet: one row per student, one column per exercise, the best grade in each
 * cell. It has its own page (app/(teach)/teach/classes/[id]/grades), one page of students at a
 * time: it grows with students × exercises, and the class dashboard must stay light.
 * The cells' padding is set once on the table: it is repeated in the HTML and the RSC payload
 * for every cell otherwise.
 */
export async function GradeSheet({ columns, rows }: { columns: GradeColumn[]; rows: GradeRow[] }) {
  const t = await getTranslations('teach.grades')
  if (columns.length === 0) return <p className="text-sm text-slate-700">{t('noExercise')}</p>
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full border-collapse text-sm [&_td]:px-2 [&_td]:py-1 [&_td]:tabular-nums [&_th]:px-2 [&_th]:py-1" data-testid="grade-sheet">
        <thead>
          <tr className="border-b border-slate-300 text-left">
            <th scope="col">{t('student')}</th>
            {columns.map((c) => (
              <th key={`${c.courseSlug}/${c.lessonSlug}/${c.exerciseId}`} scope="col" className="font-medium" title={`${c.courseTitle} — ${c.lessonTitle}`}>
                {c.title}
              </th>
            ))}
            <th scope="col">{t('average')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.student.id} className="border-b border-slate-200">
              <th scope="row" className="text-left font-medium">
                {row.student.name}
              </th>
              {row.cells.map((cell, i) => (
                <td key={i} title={t('attempts', { count: cell.attempts })}>
                  {cell.best === null ? t('none') : `${cell.best} %`}
                </td>
              ))}
              <td className="font-semibold">{row.average === null ? t('none') : `${row.average} %`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
