import { getTranslations } from 'next-intl/server'
import type { ExerciseView } from '@/lib/classes/dashboard.server'

/** Where the class is stuck: the exercises most students have not passed yet, with what their checks found. */
export async function StuckExercises({ exercises }: { exercises: ExerciseView[] }) {
  const t = await getTranslations('teach.stuck')
  return (
    <section aria-labelledby="stuck-heading" className="rounded-xl border border-amber-300 bg-amber-50/40 p-5" data-testid="stuck">
      <h2 id="stuck-heading" className="text-lg font-semibold">
        {t('heading')}
      </h2>
      <p className="mt-1 text-sm text-slate-700">{t('intro')}</p>
      {exercises.length === 0 ? (
        <p className="mt-3 text-sm">{t('none')}</p>
      ) : (
        <ol className="mt-3 space-y-4">
          {exercises.map((e) => (
            <li key={e.key} data-exercise={e.exerciseId}>
              <p className="font-medium">
                {e.title} <span className="font-normal text-slate-600">· {e.lessonTitle}</span>
              </p>
              <p className="text-sm text-amber-900">{t('blocked', { count: e.attempted - e.completed })}</p>
              <ul className="mt-1 space-y-1 text-sm">
                {e.topFailures.map((f) => (
                  <li key={f.assertionId} className="flex flex-wrap gap-x-2" data-assertion={f.assertionId}>
                    <span aria-hidden="true" className="text-red-700">
                      ✗
                    </span>
                    <span>{f.message}</span>
                    <span className="text-slate-600">— {t('failure', { students: f.students, failures: f.failures })}</span>
                    <ToolOutput outputs={f.outputs} label={t('output')} />
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

/** Every exercise of the class: success by student and by run, help used, most frequent failures. */
export async function ExerciseTable({ exercises }: { exercises: ExerciseView[] }) {
  const t = await getTranslations('teach.exercises')
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200">
      <table className="min-w-full text-left text-sm" data-testid="exercise-table">
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-700">
          <tr>
            <th scope="col" className="px-3 py-2">
              {t('exercise')}
            </th>
            <th scope="col" className="px-3 py-2">
              {t('success')}
            </th>
            <th scope="col" className="px-3 py-2">
              {t('runs')}
            </th>
            <th scope="col" className="px-3 py-2">
              {t('hints')}
            </th>
            <th scope="col" className="px-3 py-2">
              {t('solutions')}
            </th>
            <th scope="col" className="px-3 py-2">
              {t('topFailures')}
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 align-top">
          {exercises.map((e) => (
            <tr key={e.key} data-exercise={e.exerciseId}>
              <th scope="row" className="px-3 py-2 font-medium">
                {e.title}
                <span className="block text-xs font-normal text-slate-600">{e.lessonTitle}</span>
              </th>
              <td className="px-3 py-2 tabular-nums" data-testid="success">
                {e.successRate === null ? <span className="text-slate-600">{t('notTried')}</span> : t('successValue', { completed: e.completed, attempted: e.attempted, rate: e.successRate })}
              </td>
              <td className="px-3 py-2 tabular-nums" data-testid="runs">
                {e.attempts > 0 ? t('runsValue', { passed: e.passedAttempts, total: e.attempts }) : '—'}
              </td>
              <td className="px-3 py-2 tabular-nums">{e.hintsRevealed}</td>
              <td className="px-3 py-2 tabular-nums">{e.solutionsRevealed}</td>
              <td className="px-3 py-2">
                {e.topFailures.length === 0 ? (
                  t('noFailure')
                ) : (
                  <ul className="space-y-0.5 text-xs">
                    {e.topFailures.map((f) => (
                      <li key={f.assertionId}>
                        {f.message} <span className="text-slate-600">({f.students}/{f.failures})</span>
                        <ToolOutput outputs={f.outputs} label={t('output')} />
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** The raw output a failure's cause was read from, behind a disclosure (as in the learner's checklist). */
function ToolOutput({ outputs, label }: { outputs: string[]; label: string }) {
  if (outputs.length === 0) return null
  return (
    <details className="w-full text-xs">
      <summary className="cursor-pointer text-slate-600">{label}</summary>
      <pre className="mt-1 whitespace-pre-wrap break-all rounded bg-slate-100 px-2 py-1 font-mono text-slate-800">{outputs.join('\n')}</pre>
    </details>
  )
}
