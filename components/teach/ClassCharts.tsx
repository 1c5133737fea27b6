'use client'
import { useTranslations } from 'next-intl'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'

// Charts where a picture reads faster than a table. The same figures are in the tables of
// the page, which screen readers use; the charts are described by a sentence.

export type LessonBar = { label: string; title: string; completed: number; inProgress: number; notStarted: number }
export type ExerciseBar = { label: string; title: string; successRate: number; attempted: number }

const colors = { completed: '#047857', inProgress: '#d97706', notStarted: '#cbd5e1', success: '#0b5e8e' }

export function ClassCharts({ lessons, exercises }: { lessons: LessonBar[]; exercises: ExerciseBar[] }) {
  const t = useTranslations('teach.charts')
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <figure className="rounded-xl border border-slate-200 p-4">
        <figcaption className="text-sm font-semibold">{t('lessons')}</figcaption>
        <p className="sr-only">{t('lessonsSummary')}</p>
        <div className="mt-2 h-64" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={lessons} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" tick={{ fontSize: 11 }} interval={0} />
              <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
              <Tooltip labelFormatter={(_label, payload) => (payload[0]?.payload as LessonBar | undefined)?.title ?? ''} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Bar dataKey="completed" stackId="s" name={t('completed')} fill={colors.completed} isAnimationActive={false} />
              <Bar dataKey="inProgress" stackId="s" name={t('inProgress')} fill={colors.inProgress} isAnimationActive={false} />
              <Bar dataKey="notStarted" stackId="s" name={t('notStarted')} fill={colors.notStarted} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </figure>
      <figure className="rounded-xl border border-slate-200 p-4">
        <figcaption className="text-sm font-semibold">{t('exercises')}</figcaption>
        <p className="sr-only">{t('exercisesSummary')}</p>
        <div className="mt-2 h-64" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={exercises} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" tick={{ fontSize: 11 }} interval={0} />
              <YAxis domain={[0, 100]} tick={{ fontSize: 11 }} unit="%" />
              <Tooltip labelFormatter={(_label, payload) => (payload[0]?.payload as ExerciseBar | undefined)?.title ?? ''} />
              <Bar dataKey="successRate" name={t('successRate')} fill={colors.success} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </figure>
    </div>
  )
}
