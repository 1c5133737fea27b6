'use client'
import Link from 'next/link'
import { useTranslations } from 'next-intl'
import { useSyncExternalStore } from 'react'
import { formatDuration } from './format'
import { decodeCells } from './matrix-codec'

// Students × lessons. A class of 300 students and 20 lessons is 6,000 cells: rendered on the
// server, they made the page 2.8 MB (each cell twice, in the HTML and in the React payload)
// and slow to send. So the server sends compact rows (a status digit, a score, a count per
// cell) and the browser draws the table; the CSV export has the same figures without
// JavaScript. Each cell's status is spelled out for screen readers.

export type MatrixLesson = { key: string; title: string; courseTitle: string; exercises: number }
/** One student: their cells encoded by matrix-codec.ts. */
export type MatrixStudent = { id: string; name: string; cells: string; done: number; seconds: number }

const symbols = ['·', '◐', '✓'] as const
const statusKeys = ['not-started', 'in-progress', 'completed'] as const

const subscribe = () => () => {}
/** False while rendering on the server and hydrating, true once in the browser. */
const useMounted = () =>
  useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  )

export function ProgressMatrix({ classId, lessons, students }: { classId: string; lessons: MatrixLesson[]; students: MatrixStudent[] }) {
  const t = useTranslations('teach.matrix')
  const tt = useTranslations('teach.time')
  const mounted = useMounted()
  if (!mounted) {
    return (
      <p className="rounded-xl border border-slate-200 px-4 py-6 text-sm text-slate-600" data-testid="progress-matrix-loading">
        {t('caption')}…
      </p>
    )
  }
  const status = statusKeys.map((k) => t(`status.${k}`))
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
                <span aria-hidden="true">{t('lessonNumber', { n: i + 1 })}</span>
                <span className="sr-only">{lesson.title}</span>
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
          {students.map((row) => (
            <tr key={row.id} data-student={row.id}>
              <th scope="row" className="sticky left-0 bg-white px-2 py-1 text-left font-medium">
                <Link href={`/teach/classes/${classId}/students/${row.id}`} className="text-brand-700 underline">
                  {row.name}
                </Link>
              </th>
              {decodeCells(row.cells).map(({ status: s, quiz, exercises }, i) => {
                const lesson = lessons[i]!
                return (
                  <td key={lesson.key} data-s={statusKeys[s]} data-lesson={lesson.key}>
                    <span aria-hidden="true">{symbols[s]}</span>
                    <span className="sr-only">{status[s]}</span>
                    {quiz !== null && ` ${t('quiz', { percent: quiz })}`}
                    {lesson.exercises > 0 && s > 0 && ` ${t('exercises', { done: exercises, total: lesson.exercises })}`}
                  </td>
                )
              })}
              <td className="tabular-nums">
                {row.done}/{lessons.length}
              </td>
              <td className="tabular-nums">{formatDuration(row.seconds, tt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="border-t border-slate-200 px-3 py-2 text-xs text-slate-600">{t('legend')}</p>
    </div>
  )
}
