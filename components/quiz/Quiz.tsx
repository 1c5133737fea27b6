'use client'
import clsx from 'clsx'
import Link from 'next/link'
import { useTranslations } from 'next-intl'
import { useRouter } from 'next/navigation'
import { useId, useRef, useState } from 'react'
import { InlineMarkdown } from '@/components/exercises/Markdown'
import { plainText } from '@/components/exercises/markdown'
import { fetchJson } from '@/lib/http/client'
import { quizAnswerSchema, quizApi, type QuizAnswerView as Result, type QuizStandingView as Standing, type QuizSubmission } from '@/lib/quiz/api'
import type { QuizPolicy } from '@/lib/quiz/policy'
import type { PublicQuiz } from '@/lib/quiz/public'
import { randomUuid } from '@/lib/browser/secure-context'

type Answers = Record<string, string | string[]>

type Props = { courseSlug: string; lessonSlug: string; quiz: PublicQuiz; policy: QuizPolicy; standing: Standing | null; signedIn: boolean }

export function Quiz({ courseSlug, lessonSlug, quiz, policy, standing: initialStanding, signedIn }: Props) {
  const t = useTranslations('learn.quiz')
  const router = useRouter()
  const id = useId()
  const [answers, setAnswers] = useState<Answers>({})
  const [result, setResult] = useState<Result | null>(null)
  const [standing, setStanding] = useState(initialStanding)
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  // Set when the server says no attempt is left, whatever this page believed.
  const [closedByServer, setClosedByServer] = useState(false)
  const submissionId = useRef<string | null>(null)
  const resultHeading = useRef<HTMLHeadingElement>(null)

  const setAnswer = (questionId: string, value: string | string[]) => setAnswers((a) => ({ ...a, [questionId]: value }))
  const toggle = (questionId: string, choiceId: string) =>
    setAnswers((a) => {
      const current = new Set((a[questionId] as string[] | undefined) ?? [])
      if (current.has(choiceId)) current.delete(choiceId)
      else current.add(choiceId)
      return { ...a, [questionId]: [...current] }
    })

  async function submit(event: React.FormEvent) {
    event.preventDefault()
    if (pending) return
    setPending(true)
    setError(null)
    // One id per submission: a retry of the same submission is never counted twice.
    submissionId.current ??= randomUuid()
    try {
      const answer = await fetchJson(quizApi.submit(courseSlug, lessonSlug), quizAnswerSchema, {
        method: 'POST',
        json: { submissionId: submissionId.current, answers } satisfies QuizSubmission,
      })
      if (!answer.ok) {
        if (answer.error.code === 'quiz_closed') {
          setClosedByServer(true)
          return
        }
        setError(t('error', { message: answer.error.message }))
        return
      }
      setResult(answer.data)
      setStanding(answer.data.standing)
      router.refresh()
      requestAnimationFrame(() => resultHeading.current?.focus())
    } finally {
      setPending(false)
    }
  }

  function retake() {
    submissionId.current = null
    setResult(null)
    setAnswers({})
  }

  const resultFor = (questionId: string) => result?.results.find((r) => r.questionId === questionId)
  const used = standing?.attempts ?? 0
  const left = result ? result.attemptsLeft : policy.maxAttempts === null ? null : Math.max(0, policy.maxAttempts - used)
  const closed = signedIn && (closedByServer || left === 0)
  const unanswered = quiz.questions.filter((q) => {
    const answer = answers[q.id]
    return answer === undefined || (Array.isArray(answer) ? answer.length === 0 : answer.trim() === '')
  }).length
  // Why an answered question shows no explanation: the quiz's policy, said once per question.
  const withheld = policy.explanations === 'never' ? t('explanationsNever') : t('explanationAfterPass')

  return (
    <section aria-labelledby={`${id}-title`} className="mt-12 rounded-xl border border-slate-200 p-6" data-testid="quiz">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={`${id}-title`} className="text-xl font-semibold">
          {t('title')}
        </h2>
        <p className="text-sm text-slate-600">{t('intro', { count: quiz.questions.length, passing: quiz.passingScore })}</p>
      </div>
      {standing && standing.attempts > 0 && (
        <p className="mt-2 text-sm text-slate-700" data-testid="quiz-standing">
          {t('attempts', { count: standing.attempts })} · {standing.best && t('best', { percent: standing.best.percent })} · {standing.last && t('last', { percent: standing.last.percent })}
        </p>
      )}
      {signedIn && policy.maxAttempts !== null && left !== null && !closed && (
        <p className="mt-1 text-sm text-slate-700" data-testid="quiz-attempts-left">
          {t('attemptsLeft', { left, max: policy.maxAttempts })}
        </p>
      )}
      {closed && (
        <p role="status" className="mt-4 rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="quiz-closed">
          {t('closed', { max: policy.maxAttempts ?? used })}
        </p>
      )}
      {!signedIn && (
        <p className="mt-4 rounded bg-slate-50 px-3 py-2 text-sm">
          <Link className="font-medium text-brand-700 underline" href={`/sign-in?next=/courses/${courseSlug}/${lessonSlug}`}>
            {t('signIn')}
          </Link>
        </p>
      )}
      <form onSubmit={submit} className="mt-6 space-y-8">
        {quiz.questions.map((question, index) => {
          const outcome = resultFor(question.id)
          return (
            <fieldset key={question.id} className="space-y-3" disabled={!signedIn || result !== null || closed} data-question={question.id}>
              <legend className="font-medium">
                <span className="mr-2 text-slate-500">{index + 1}.</span>
                <InlineMarkdown source={question.prompt} />
                <span className="ml-2 text-xs font-normal text-slate-600">({t(question.type)})</span>
              </legend>
              {question.type === 'short' ? (
                <input
                  className="block w-full max-w-md rounded border border-slate-400 px-3 py-2"
                  aria-label={plainText(question.prompt)}
                  maxLength={question.maxLength}
                  placeholder={question.placeholder}
                  value={(answers[question.id] as string | undefined) ?? ''}
                  onChange={(e) => setAnswer(question.id, e.target.value)}
                />
              ) : (
                <div className="space-y-2">
                  {question.choices.map((choice) => {
                    const checked = question.type === 'single' ? answers[question.id] === choice.id : ((answers[question.id] as string[] | undefined) ?? []).includes(choice.id)
                    return (
                      <label key={choice.id} className={clsx('flex cursor-pointer items-start gap-3 rounded border px-3 py-2', checked ? 'border-brand-600 bg-brand-50' : 'border-slate-200')}>
                        <input
                          type={question.type === 'single' ? 'radio' : 'checkbox'}
                          name={`${id}-${question.id}`}
                          value={choice.id}
                          checked={checked}
                          className="mt-1"
                          onChange={() => (question.type === 'single' ? setAnswer(question.id, choice.id) : toggle(question.id, choice.id))}
                        />
                        <span>
                          <InlineMarkdown source={choice.text} />
                        </span>
                      </label>
                    )
                  })}
                </div>
              )}
              {outcome && (
                <div className={clsx('rounded border-l-4 px-3 py-2 text-sm', outcome.correct ? 'border-emerald-500 bg-emerald-50' : 'border-red-500 bg-red-50')} data-correct={outcome.correct}>
                  <p className="font-semibold">{outcome.correct ? `✓ ${t('correct')}` : outcome.answered ? `✗ ${t('incorrect')}` : `– ${t('unanswered')}`}</p>
                  {outcome.explanation !== undefined ? (
                    <p className="mt-1">
                      <span className="font-medium">{t('explanation')}</span> <InlineMarkdown source={outcome.explanation} />
                    </p>
                  ) : (
                    outcome.answered && <p className="mt-1 text-slate-700">{withheld}</p>
                  )}
                </div>
              )}
            </fieldset>
          )
        })}
        {error && (
          <p role="alert" className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        )}
        <div aria-live="polite">
          {result && (
            <div className={clsx('rounded-lg px-4 py-3', result.passed ? 'bg-emerald-50' : 'bg-amber-50')} data-testid="quiz-result">
              <h3 ref={resultHeading} tabIndex={-1} className="text-lg font-semibold">
                {t('score', { score: result.score, max: result.maxScore, percent: result.percent })}
              </h3>
              <p>{result.passed ? t('passed') : result.attemptsLeft === 0 ? t('failedClosed') : t('failed')}</p>
            </div>
          )}
        </div>
        {signedIn && !result && !closed && unanswered > 0 && policy.maxAttempts !== null && (
          <p className="text-sm text-slate-700" data-testid="quiz-unanswered">
            {t('unansweredWarning', { count: unanswered })}
          </p>
        )}
        {signedIn &&
          (closed ? null : result ? (
            // Distinct keys: reusing one <button> and flipping its type to submit inside the click would submit the form.
            <button key="retake" type="button" onClick={retake} className="rounded border border-brand-600 px-4 py-2 font-medium text-brand-700 hover:bg-brand-50">
              {t('retake')}
            </button>
          ) : (
            <button key="submit" type="submit" disabled={pending} className="rounded bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60">
              {pending ? t('submitting') : t('submit')}
            </button>
          ))}
      </form>
    </section>
  )
}
