'use client'
import { useTranslations } from 'next-intl'
import dynamic from 'next/dynamic'
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import { fetchJson, type ApiFailure } from '@/lib/http/client'
import { fileListSchema, sandboxApi, savedFileSchema, textFileSchema, type FileEntryView, type SaveFileBody } from '@/lib/workspace/api'

const FileEditor = dynamic(() => import('./FileEditor'), { ssr: false })

type OpenFile = { path: string; content: string; saved: string; mtime: string | null }
type Notice = { kind: 'info' | 'error' | 'conflict'; text: string } | null
/** A refused or failed call: the API's code (lib/workspace/files.server.ts and the routes' own), worded in the reader's language by `describe`. */
type Failure = ApiFailure

async function loadList(sandboxId: string, lessonQuery: string) {
  const answer = await fetchJson(`${sandboxApi.files(sandboxId)}?${lessonQuery}`, fileListSchema)
  return answer.ok ? answer.data : { failure: answer.error }
}

export type FilesPanelProps = { sandboxId: string; courseSlug: string; lessonSlug: string; active: boolean }

export default function FilesPanel({ sandboxId, courseSlug, lessonSlug, active }: FilesPanelProps) {
  const t = useTranslations('workspace.files')
  const [entries, setEntries] = useState<FileEntryView[] | null>(null)
  const [root, setRoot] = useState('')
  const [truncated, setTruncated] = useState(false)
  const [open, setOpen] = useState<OpenFile | null>(null)
  const [notice, setNotice] = useState<Notice>(null)
  const [busy, setBusy] = useState<'saving' | 'uploading' | null>(null)
  const uploadInput = useRef<HTMLInputElement>(null)
  const lessonQuery = `course=${encodeURIComponent(courseSlug)}&lesson=${encodeURIComponent(lessonSlug)}`

  /** A refusal in the reader's words: the code says what happened, the page knows which path and action. */
  const describe = useCallback(
    (failure: Failure, path: string, action: 'list' | 'open' | 'save' | 'upload'): string => {
      const key = `errors.${failure.code}`
      if (!t.has(key as never)) return t('errors.other', { code: failure.code })
      return t(key as never, { path, action, seconds: failure.retryAfterSeconds ?? 60 } as never)
    },
    [t],
  )

  const applyList = useCallback((result: Awaited<ReturnType<typeof loadList>>) => {
    if ('failure' in result) return setNotice({ kind: 'error', text: describe(result.failure, '.', 'list') })
    setEntries(result.entries)
    setRoot(result.root)
    setTruncated(result.truncated)
  }, [describe])
  const refresh = useCallback(async () => applyList(await loadList(sandboxId, lessonQuery)), [sandboxId, lessonQuery, applyList])

  useEffect(() => {
    if (!active) return
    let live = true
    void loadList(sandboxId, lessonQuery).then((result) => live && applyList(result))
    return () => {
      live = false
    }
  }, [active, sandboxId, lessonQuery, applyList])

  const dirty = open !== null && open.content !== open.saved

  const openFile = async (path: string) => {
    if (dirty && open && !window.confirm(t('discard', { path: open.path }))) return
    setNotice(null)
    const answer = await fetchJson(`${sandboxApi.fileContent(sandboxId)}?${lessonQuery}&path=${encodeURIComponent(path)}`, textFileSchema)
    if (!answer.ok) return setNotice({ kind: 'error', text: describe(answer.error, path, 'open') })
    const file = answer.data
    setOpen({ path: file.path, content: file.content, saved: file.content, mtime: file.mtime })
  }

  const save = useCallback(
    async (overwrite = false) => {
      if (!open) return
      setBusy('saving')
      setNotice(null)
      try {
        const answer = await fetchJson(sandboxApi.fileContent(sandboxId), savedFileSchema, {
          method: 'PUT',
          json: {
            course: courseSlug,
            lesson: lessonSlug,
            path: open.path,
            content: open.content,
            ...(open.mtime && !overwrite ? { baseMtime: open.mtime } : {}),
          } satisfies SaveFileBody,
        })
        if (!answer.ok) {
          if (answer.error.code === 'conflict') return setNotice({ kind: 'conflict', text: t('conflict') })
          return setNotice({ kind: 'error', text: describe(answer.error, open.path, 'save') })
        }
        const saved = answer.data
        setOpen((current) => (current && current.path === open.path ? { ...current, saved: open.content, mtime: saved.mtime ?? null } : current))
        setNotice({ kind: 'info', text: t('saved', { path: saved.path }) })
        void refresh()
      } finally {
        setBusy(null)
      }
    },
    [open, sandboxId, courseSlug, lessonSlug, refresh, t, describe],
  )
  const saveRef = useRef(save)
  useLayoutEffect(() => {
    saveRef.current = save
  }, [save])
  const onSave = useCallback(() => void saveRef.current(), [])

  const newFile = () => {
    const path = window.prompt(t('newFilePrompt'))?.trim()
    if (!path) return
    setOpen({ path, content: '', saved: '\u0000', mtime: null })
  }

  const uploadDir = open?.path.includes('/') ? open.path.slice(0, open.path.lastIndexOf('/')) : ''

  const upload = async (file: File) => {
    setBusy('uploading')
    setNotice(null)
    try {
      const form = new FormData()
      form.set('file', file)
      const answer = await fetchJson(`${sandboxApi.upload(sandboxId)}?${lessonQuery}&dir=${encodeURIComponent(uploadDir)}`, savedFileSchema, { method: 'POST', body: form })
      const target = uploadDir ? `${uploadDir}/${file.name}` : file.name
      if (!answer.ok) return setNotice({ kind: 'error', text: describe(answer.error, target, 'upload') })
      const saved = answer.data
      setNotice({ kind: 'info', text: t('uploaded', { path: saved.path }) })
      void refresh()
    } finally {
      setBusy(null)
      if (uploadInput.current) uploadInput.current.value = ''
    }
  }

  const button =
    'rounded border border-slate-600 px-2 py-1 text-xs font-medium text-slate-100 hover:bg-slate-800 disabled:opacity-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-400'

  return (
    <div className="flex h-full min-h-0 flex-col text-sm" aria-label={t('label')} role="region">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-800 px-3 py-2">
        <span className="truncate font-mono text-xs text-slate-400" title={root}>
          {t('root', { path: root })}
        </span>
        <span className="flex-1" />
        <button type="button" className={button} onClick={() => void refresh()}>
          {t('refresh')}
        </button>
        <button type="button" className={button} onClick={newFile}>
          {t('newFile')}
        </button>
        <a className={button} href={sandboxApi.folderArchive(sandboxId, courseSlug, lessonSlug)} download data-folder-archive>
          {t('downloadFolder')}
        </a>
        <label className={`${button} cursor-pointer`}>
          {busy === 'uploading' ? t('uploading') : t('upload')}
          <span className="sr-only"> {t('uploadInto', { dir: uploadDir || '.' })}</span>
          <input
            ref={uploadInput}
            type="file"
            className="sr-only"
            disabled={busy !== null}
            onChange={(e) => {
              const file = e.target.files?.[0]
              if (file) void upload(file)
            }}
          />
        </label>
      </div>
      <div role="status" aria-live="polite" className="min-h-0">
        {notice && (
          <div
            className={`flex flex-wrap items-center gap-2 px-3 py-1.5 text-xs ${
              notice.kind === 'info' ? 'bg-emerald-950 text-emerald-200' : 'bg-red-950 text-red-200'
            }`}
          >
            <span>{notice.text}</span>
            {notice.kind === 'conflict' && open && (
              <>
                <button type="button" className={button} onClick={() => void save(true)}>
                  {t('overwrite')}
                </button>
                <button type="button" className={button} onClick={() => void openFile(open.path)}>
                  {t('reload')}
                </button>
              </>
            )}
          </div>
        )}
      </div>
      <div className="grid min-h-0 flex-1 grid-cols-[minmax(9rem,14rem)_1fr]">
        <nav aria-label={t('label')} className="min-h-0 overflow-y-auto border-r border-slate-800 py-1">
          {entries === null ? (
            <p className="px-3 py-2 text-slate-400">{t('loading')}</p>
          ) : entries.length === 0 ? (
            <p className="px-3 py-2 text-slate-400">{t('empty')}</p>
          ) : (
            <ul>
              {entries.map((entry) => {
                const depth = entry.path.split('/').length - 1
                const name = entry.path.split('/').pop() ?? entry.path
                const pad = { paddingLeft: `${0.75 + depth * 0.9}rem` }
                if (entry.kind === 'dir') {
                  return (
                    <li key={entry.path} style={pad} className="py-0.5 font-medium text-slate-300">
                      {name}/
                    </li>
                  )
                }
                const openable = entry.kind === 'file' || (entry.kind === 'symlink' && entry.link?.inside)
                return (
                  <li key={entry.path} style={pad} className="group flex items-center gap-1 pr-2">
                    {openable ? (
                      <button
                        type="button"
                        className={`min-w-0 flex-1 truncate rounded px-1 py-0.5 text-left hover:bg-slate-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-400 ${
                          open?.path === entry.path ? 'bg-slate-800 text-white' : 'text-slate-200'
                        }`}
                        aria-label={t('open', { path: entry.path })}
                        aria-current={open?.path === entry.path ? 'true' : undefined}
                        onClick={() => void openFile(entry.path)}
                        title={entry.link ? t('link', { target: entry.link.target }) : entry.path}
                      >
                        {name}
                        {entry.link && <span aria-hidden="true"> →</span>}
                      </button>
                    ) : (
                      <span className="min-w-0 flex-1 truncate px-1 text-slate-500" title={entry.link && !entry.link.inside ? t('linkOutside') : undefined}>
                        {name}
                        {entry.link && !entry.link.inside && <span className="sr-only"> ({t('linkOutside')})</span>}
                      </span>
                    )}
                    {entry.kind === 'file' && (
                      <a
                        className="rounded px-1 text-xs text-slate-400 hover:text-white focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-400"
                        href={`${sandboxApi.download(sandboxId)}?${lessonQuery}&path=${encodeURIComponent(entry.path)}`}
                        download={name}
                        aria-label={t('download', { path: entry.path })}
                        title={t('download', { path: entry.path })}
                      >
                        ⤓
                      </a>
                    )}
                  </li>
                )
              })}
            </ul>
          )}
          {truncated && <p className="px-3 py-2 text-xs text-amber-300">{t('truncated')}</p>}
        </nav>
        <div className="flex min-h-0 flex-col">
          {open ? (
            <>
              <div className="flex items-center gap-2 border-b border-slate-800 px-3 py-1.5">
                <span className="truncate font-mono text-xs">{open.path}</span>
                {dirty && <span className="text-xs text-amber-300">● {t('unsaved')}</span>}
                <span className="flex-1" />
                <button type="button" className={button} disabled={busy !== null || !dirty} onClick={() => void save()}>
                  {busy === 'saving' ? t('saving') : t('save')}
                </button>
                <button
                  type="button"
                  className={button}
                  aria-label={t('close')}
                  onClick={() => {
                    if (!dirty || window.confirm(t('discard', { path: open.path }))) setOpen(null)
                  }}
                >
                  ✕
                </button>
              </div>
              <div className="min-h-0 flex-1 overflow-hidden">
                <FileEditor
                  path={open.path}
                  value={open.content}
                  label={t('editor', { path: open.path })}
                  onChange={(content) => setOpen((current) => (current ? { ...current, content } : current))}
                  onSave={onSave}
                />
              </div>
            </>
          ) : (
            <p className="p-4 text-slate-400">{t('noFile')}</p>
          )}
        </div>
      </div>
    </div>
  )
}
