'use client'
import { useFormatter, useTranslations } from 'next-intl'
import { useId, useState } from 'react'
import { InlineMarkdown } from '@/components/exercises/Markdown'
import { useLessonContext } from '@/components/lesson/LessonContext'
import type { PublicOpenQuestion } from '@/lib/content/open-questions'
import type { OwnAnswerView } from '@/lib/open-questions/api'
import { useFileSize } from './file-size'
import { OpenAnswerForm } from './OpenAnswerForm'

// <OpenQuestion id="…" /> in a lesson: the question, its rubric when the author shows it, the
// learner's answer (a draft, handed in, graded) and, once graded, the points per criterion and
// the instructor's comment. The text is plain text: never rendered as HTML.

export function OpenQuestion({ id }: { id: string }) {
  const { openQuestions } = useLessonContext()
  const entry = openQuestions?.questions.find((q) => q.question.id === id)
  if (!openQuestions || !entry) return null
  return <OpenQuestionCard key={id} question={entry.question} initial={entry.answer} context={openQuestions} />
}

type CardProps = { question: PublicOpenQuestion; initial: OwnAnswerView | null; context: NonNullable<ReturnType<typeof useLessonContext>['openQuestions']> }

function OpenQuestionCard({ question, initial, context }: CardProps) {
  const t = useTranslations('openQuestions')
  const format = useFormatter()
  const headingId = useId()
  const [answer, setAnswer] = useState(initial)
  const date = (iso: string) => format.dateTime(new Date(iso), { dateStyle: 'medium', timeStyle: 'short' })
  const types = (question.file?.types ?? []).map((k) => t(`types.${k}`)).join(', ')
  const handIn = t(`handIn.${question.answer}`, { max: question.maxLength, types, size: question.file?.maxSizeMb ?? 0 })
  const status = !answer
    ? t('status.none')
    : answer.status === 'graded' && answer.grade
      ? t('status.graded', { points: answer.grade.points, max: answer.grade.maxPoints })
      : answer.status === 'submitted'
        ? t('status.submitted', { date: date(answer.submittedAt ?? answer.updatedAt) })
        : t('status.draft', { date: date(answer.updatedAt) })
  const lockedReason = answer ? answer.lockedReason : context.examOver ? 'exam_over' : null

  return (
    <section aria-labelledby={headingId} className="not-prose my-6 rounded-lg border border-slate-300 p-4" data-open-question={question.id}>
      <p className="text-xs font-semibold uppercase tracking-wide text-brand-800">
        {t('label')} · {t('points', { points: question.points })}
      </p>
      <h3 id={headingId} className="mt-1 text-lg font-semibold">
        {question.title}
      </h3>
      <p className="mt-2">
        <InlineMarkdown source={question.prompt} />
      </p>
      <p className="mt-2 text-sm text-slate-600">{handIn}</p>
      {question.rubricVisible || context.preview ? (
        <details className="mt-3 text-sm">
          <summary className="cursor-pointer font-medium">{t('rubric')}</summary>
          <ul className="mt-2 space-y-1 pl-1">
            {question.rubric.map((c) => (
              <li key={c.id}>
                <span className="font-medium">
                  {c.label} ({t('points', { points: c.points })})
                </span>{' '}
                — <InlineMarkdown source={c.description} />
              </li>
            ))}
          </ul>
        </details>
      ) : (
        <p className="mt-3 text-sm text-slate-600">{t('rubricHidden')}</p>
      )}
      {context.preview ? (
        <p className="mt-3 text-sm text-slate-600">{question.rubricVisible ? t('previewNote') : t('previewHiddenRubric')}</p>
      ) : !context.signedIn ? (
        <p className="mt-3 text-sm">{t('signIn')}</p>
      ) : (
        <>
          <p className="mt-3 text-sm font-medium" data-testid="open-answer-status" role="status">
            {status}
          </p>
          {answer?.grade && <GradeBlock answer={answer} question={question} previous={answer.status !== 'graded'} date={date} />}
          {lockedReason ? (
            <>
              <p className="mt-3 rounded border-l-4 border-slate-400 bg-slate-50 px-3 py-2 text-sm">{t(`locked.${lockedReason}`)}</p>
              {answer && <SubmittedAnswer answer={answer} />}
            </>
          ) : (
            <>
              {context.inExam && <p className="mt-2 text-sm text-amber-900">{t('examNote')}</p>}
              {answer?.status === 'submitted' && <p className="mt-2 text-sm text-slate-600">{t('editUntilGraded')}</p>}
              {answer?.status === 'graded' && <p className="mt-2 text-sm text-slate-600">{t('resubmitAllowed')}</p>}
              <OpenAnswerForm question={question} answer={answer} courseSlug={context.courseSlug} lessonSlug={context.lessonSlug} onSaved={setAnswer} />
            </>
          )}
        </>
      )}
    </section>
  )
}

function SubmittedAnswer({ answer }: { answer: OwnAnswerView }) {
  const t = useTranslations('openQuestions')
  const fileSize = useFileSize()
  return (
    <div className="mt-3 text-sm">
      {answer.text && <p className="whitespace-pre-wrap rounded bg-slate-50 p-3" data-testid="open-answer-text">{answer.text}</p>}
      {answer.file && (
        <p className="mt-2">
          <a className="text-brand-700 underline" href={answer.file.url} download>
            {t('currentFile', { name: answer.file.name, size: fileSize(answer.file.size) })}
          </a>
        </p>
      )}
    </div>
  )
}

function GradeBlock({ answer, question, previous, date }: { answer: OwnAnswerView; question: PublicOpenQuestion; previous: boolean; date: (iso: string) => string }) {
  const t = useTranslations('openQuestions')
  const grade = answer.grade!
  return (
    <div className="mt-3 rounded border border-emerald-300 bg-emerald-50 p-3 text-sm" data-testid="open-answer-grade">
      <p className="font-semibold">{previous ? t('grade.previous') : t('grade.heading')}</p>
      <ul className="mt-1 list-disc pl-5">
        {question.rubric.map((c) => (
          <li key={c.id}>{t('grade.criterion', { label: c.label, points: grade.criteria[c.id] ?? 0, max: c.points })}</li>
        ))}
      </ul>
      {grade.feedback && (
        <>
          <p className="mt-2 font-medium">{t('grade.feedback')}</p>
          <p className="whitespace-pre-wrap" data-testid="open-answer-feedback">
            {grade.feedback}
          </p>
        </>
      )}
      <p className="mt-2 text-slate-700">{grade.gradedBy ? t('grade.by', { name: grade.gradedBy, date: date(grade.gradedAt) }) : t('grade.byUnknown', { date: date(grade.gradedAt) })}</p>
    </div>
  )
}
