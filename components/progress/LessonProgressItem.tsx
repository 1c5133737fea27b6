import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { StatusBadge } from '@/components/ui/StatusBadge'
import { lessonHref } from '@/lib/content/paths'
import type { LessonOverview } from '@/lib/progress/overview.server'

/** One lesson on the progress page: status, exercises done, quiz, last activity, and what is still missing. */
export async function LessonProgressItem({ lesson }: { lesson: LessonOverview }) {
  const [t, format] = await Promise.all([getTranslations('learn.progress'), getFormatter()])
  const facts: string[] = []
  if (lesson.exercises.total > 0) facts.push(t('exercises', { done: lesson.exercises.done, total: lesson.exercises.total }))
  if (lesson.quiz) facts.push(lesson.quiz.best === null ? t('quizNotTried') : t('quiz', { best: lesson.quiz.best, attempts: lesson.quiz.attempts }))
  if (lesson.lastActivityAt) facts.push(t('lastActivity', { date: format.dateTime(lesson.lastActivityAt, { dateStyle: 'medium', timeStyle: 'short' }) }))
  const missing = lesson.missing && lesson.status !== 'not-started' ? lesson.missing : null
  const todo = missing
    ? [
        ...missing.exercises.map((e) => t('missingExercise', { title: e.title })),
        ...(missing.quiz ? [missing.quiz.best === null ? t('missingQuiz', { passing: missing.quiz.passingScore }) : t('missingQuizBest', { passing: missing.quiz.passingScore, best: missing.quiz.best })] : []),
        ...(missing.markRead ? [t('missingRead')] : []),
      ]
    : []
  return (
    <li className="py-3" data-lesson={lesson.lessonSlug}>
      <div className="flex items-center justify-between gap-3">
        <Link href={lessonHref(lesson.courseSlug, lesson.lessonSlug)} className="font-medium hover:text-brand-700">
          {lesson.title}
        </Link>
        <StatusBadge status={lesson.status} />
      </div>
      {facts.length > 0 && (
        <ul aria-label={t('lessonDetails', { title: lesson.title })} className="mt-1 flex flex-wrap gap-x-4 gap-y-0.5 text-xs text-slate-700" data-testid="lesson-facts">
          {facts.map((fact) => (
            <li key={fact}>{fact}</li>
          ))}
        </ul>
      )}
      {todo.length > 0 && (
        <p className="mt-1 text-xs text-amber-900" data-testid="lesson-missing">
          {t('missing')} {format.list(todo, { type: 'conjunction' })}
        </p>
      )}
    </li>
  )
}
