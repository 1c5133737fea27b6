'use client'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { useErrorText } from './api'

/** Puts the student's running sandbox back to a step, after the browser's confirmation. */
export function RestoreStudentStep({ url, label, confirm }: { url: string; label: string; confirm: string }) {
  const errorText = useErrorText()
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)

  async function onClick() {
    if (!window.confirm(confirm)) return
    setPending(true)
    setError(null)
    const result = await fetchJson(url, unreadBody, { method: 'POST', json: { confirm: true } })
    setPending(false)
    if (!result.ok) return setError(errorText(result.error))
    router.refresh()
  }

  return (
    <span className="inline-flex flex-col items-end gap-1">
      <button type="button" disabled={pending} onClick={onClick} className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50">
        {label}
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-800">
          {error}
        </span>
      )}
    </span>
  )
}
