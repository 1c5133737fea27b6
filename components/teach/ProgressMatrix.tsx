import Link from 'next/link'
import { getTranslations } from 'next-intl/server'
import type { LessonColumn, MatrixRow } from '@/lib/classes/aggregate'
import { formatDuration } from './format'

// Students × lessons. A class of 300 students and 20 lessons is 6,000 cells, so each cell is
// a few bytes: a symbol, the best quiz score, the exercises passed; colours come from one set
// of rules on the table (data-s), and the status is spelled out for screen readers.

const symbol = { completed: '✓', 'in-progress': '◐', 'not-started': '·' } as const

export async function ProgressMatrix({ classId, lessons, rows }: { classId: string; lessons: LessonColumn[]; rows: MatrixRow[] }) {
  const t = await getTranslations('teach.matrix')
  const tt = await getTranslations('teach.time')
  const status = { completed: t('status.completed'), 'in-progress': t('status.in-progress'), 'not-started': t('status.not-started') }
  const courses: { title: string; span: number }[] = []
  for (const lesson of lessons) {
    const last = courses[courses.length - 1]
    if (last && last.title === lesson.courseTitle) last.span++
    else courses.push({ title: lesson.courseTitle, span: 1 })
  }
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200">
      <table
        data-testid="progress-matrix"
        className="min-w-full border-collapse text-left text-xs [&_td]:border-l [&_td]:border-slate-100 [&_td]:px-1.5 [&_td]:py-1 [&_td]:whitespace-nowrap [&_td[data-s=completed]]:bg-emerald-50 [&_td[data-s=completed]]:text-emerald-900 [&_td[data-s=in-progress]]:bg-amber-50 [&_td[data-s=in-progress]]:text-amber-900 [&_td[data-s=not-started]]:text-slate-500"
      >
        <caption className="sr-only">{t('caption')}</caption>
        <thead className="bg-slate-50 text-slate-700">
          <tr>
            <td className="sticky left-0 bg-slate-50" />
            {courses.map((c, i) => (
              <th key={`${c.title}-${i}`} scope="colgroup" colSpan={c.span} className="border-l border-slate-200 px-1.5 py-1 font-semibold">
                {c.title}
              </th>
            ))}
            <td colSpan={2} />
          </tr>
          <tr>
            <th scope="col" className="sticky left-0 bg-slate-50 px-2 py-1 font-semibold">
              {t('student')}
            </th>
            {lessons.map((lesson, i) => (
              <th key={lesson.key} scope="col" className="border-l border-slate-200 px-1.5 py-1 font-semibold" title={lesson.title}>
                <abbr title={lesson.title} className="no-underline">
                  {t('lessonNumber', { n: i + 1 })}
                </abbr>
                <span className="sr-only"> {lesson.title}</span>
              </th>
            ))}
            <th scope="col" className="border-l border-slate-200 px-1.5 py-1 font-semibold">
              {t('done')}
            </th>
            <th scope="col" className="px-1.5 py-1 font-semibold">
              {t('time')}
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((row) => (
            <tr key={row.student.id} data-student={row.student.id}>
              <th scope="row" className="sticky left-0 bg-white px-2 py-1 text-left font-medium">
                <Link href={`/teach/classes/${classId}/students/${row.student.id}`} className="text-brand-700 underline">
                  {row.student.name}
                </Link>
              </th>
              {row.cells.map((cell, i) => {
                const lesson = lessons[i]!
                return (
                  <td key={lesson.key} data-s={cell.status}>
                    <span aria-hidden="true">{symbol[cell.status]}</span>
                    <span className="sr-only">{status[cell.status]}</span>
                    {cell.bestQuizPercent !== null && ` ${t('quiz', { percent: cell.bestQuizPercent })}`}
                    {lesson.exercises.length > 0 && cell.status !== 'not-started' && ` ${t('exercises', { done: cell.exercisesCompleted, total: lesson.exercises.length })}`}
                  </td>
                )
              })}
              <td className="tabular-nums">
                {row.completedLessons}/{lessons.length}
              </td>
              <td className="tabular-nums">{formatDuration(row.activeSeconds, tt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="border-t border-slate-200 px-3 py-2 text-xs text-slate-600">{t('legend')}</p>
    </div>
  )
}
