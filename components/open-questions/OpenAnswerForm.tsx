'use client'
import { useTranslations } from 'next-intl'
import { useId, useRef, useState } from 'react'
import type { PublicOpenQuestion } from '@/lib/content/open-questions'
import { fetchJson } from '@/lib/http/client'
import { openApi, ownAnswerAnswer, type OwnAnswerView } from '@/lib/open-questions/api'
import { acceptAttribute } from '@/lib/open-questions/sniff'
import { useFileSize } from './file-size'

type Props = { question: PublicOpenQuestion; answer: OwnAnswerView | null; courseSlug: string; lessonSlug: string; onSaved: (answer: OwnAnswerView | null) => void }

/** The learner's answer form: a text and/or a file, saved as a draft (before the first hand-in) or handed in. */
export function OpenAnswerForm({ question, answer, courseSlug, lessonSlug, onSaved }: Props) {
  const t = useTranslations('openQuestions')
  const fileSize = useFileSize()
  const id = useId()
  const [text, setText] = useState(answer?.text ?? '')
  const [removeFile, setRemoveFile] = useState(false)
  const [pending, setPending] = useState(false)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const takesText = question.answer !== 'file'
  const takesFile = question.file !== null
  const canDraft = !answer || answer.status === 'draft'

  async function save(action: 'draft' | 'submit') {
    if (pending) return
    setPending(true)
    setMessage(null)
    const form = new FormData()
    form.set('action', action)
    form.set('text', takesText ? text : '')
    form.set('removeFile', removeFile ? '1' : '0')
    const file = fileInput.current?.files?.[0]
    if (file) form.set('file', file)
    try {
      const result = await fetchJson(openApi.answer(courseSlug, lessonSlug, question.id), ownAnswerAnswer, { method: 'POST', body: form })
      if (!result.ok) {
        const known = ['empty_answer', 'text_too_long', 'file_too_large', 'too_large', 'file_type_refused', 'answer_locked', 'exam_over', 'already_submitted']
        setMessage({ ok: false, text: known.includes(result.error.code) ? t(`errors.${result.error.code}`) : t('error', { message: result.error.message }) })
        return
      }
      if (fileInput.current) fileInput.current.value = ''
      setRemoveFile(false)
      setMessage({ ok: true, text: action === 'draft' ? t('savedDraft') : t('submitted') })
      onSaved(result.data.answer)
    } finally {
      setPending(false)
    }
  }

  return (
    <form
      className="mt-3 space-y-3"
      aria-label={question.title}
      onSubmit={(event) => {
        event.preventDefault()
        void save('submit')
      }}
    >
      {takesText && (
        <div>
          <label htmlFor={`${id}-text`} className="block text-sm font-medium">
            {t('answerLabel')}
          </label>
          <textarea
            id={`${id}-text`}
            className="mt-1 block min-h-40 w-full rounded border border-slate-400 p-2 text-sm"
            value={text}
            maxLength={question.maxLength}
            onChange={(event) => setText(event.target.value)}
            aria-describedby={`${id}-count`}
          />
          <p id={`${id}-count`} className="mt-1 text-xs text-slate-600">
            {t('count', { count: text.length, max: question.maxLength })}
          </p>
        </div>
      )}
      {takesFile && (
        <div>
          <label htmlFor={`${id}-file`} className="block text-sm font-medium">
            {t('fileLabel')}
          </label>
          <input id={`${id}-file`} ref={fileInput} type="file" accept={acceptAttribute(question.file!.types)} className="mt-1 block text-sm" />
          {answer?.file && (
            <p className="mt-1 flex flex-wrap items-center gap-3 text-sm">
              <a className="text-brand-700 underline" href={answer.file.url} download>
                {t('currentFile', { name: answer.file.name, size: fileSize(answer.file.size) })}
              </a>
              <label className="flex items-center gap-1">
                <input type="checkbox" checked={removeFile} onChange={(event) => setRemoveFile(event.target.checked)} />
                {t('removeFile')}
              </label>
            </p>
          )}
        </div>
      )}
      <div className="flex flex-wrap gap-2">
        {canDraft && (
          <button type="button" disabled={pending} onClick={() => void save('draft')} className="rounded border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-60">
            {t('saveDraft')}
          </button>
        )}
        <button type="submit" disabled={pending} className="rounded bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-60">
          {pending ? t('saving') : answer && answer.status !== 'draft' ? t('resubmit') : t('submit')}
        </button>
      </div>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'text-sm text-emerald-800' : 'text-sm text-red-800'}>
          {message.text}
        </p>
      )}
    </form>
  )
}
