'use client'
import { useTranslations } from 'next-intl'
import { useLessonContext } from '@/components/lesson/LessonContext'

export const focusExerciseEvent = 'quai:focus-exercise'

/** Marks where an exercise fits in the text; the exercise itself lives in the panel beside the terminal. */
export function ExerciseRef({ id }: { id: string }) {
  const t = useTranslations('learn')
  const { exercises } = useLessonContext()
  const exercise = exercises.find((e) => e.id === id)
  if (!exercise) return null
  return (
    <div className="not-prose my-5 flex items-center justify-between gap-3 rounded-lg border border-brand-100 bg-brand-50 px-4 py-3">
      <p className="text-sm">
        <span className="font-semibold text-brand-800">{t('exercise')} · </span>
        {exercise.title}
      </p>
      <button
        type="button"
        className="shrink-0 rounded bg-brand-600 px-3 py-1 text-sm font-medium text-white hover:bg-brand-700"
        onClick={() => window.dispatchEvent(new CustomEvent(focusExerciseEvent, { detail: { id } }))}
      >
        {t('openExercise')}
      </button>
    </div>
  )
}
