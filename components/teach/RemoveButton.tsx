'use client'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { dangerButtonClass, secondaryButtonClass, useErrorText } from './api'

/**
 * A request behind the browser's confirmation (a DELETE unless told otherwise); afterwards, go
 * to `then` or refresh the page.
 */
export function ConfirmedButton({
  url,
  label,
  confirm,
  then,
  method = 'DELETE',
  json,
  danger = true,
}: {
  url: string
  label: string
  confirm: string
  then?: string
  method?: 'DELETE' | 'POST'
  json?: unknown
  danger?: boolean
}) {
  const errorText = useErrorText()
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)

  async function onClick() {
    if (!window.confirm(confirm)) return
    setPending(true)
    setError(null)
    const result = await fetchJson(url, unreadBody, { method, ...(json === undefined ? {} : { json }) })
    setPending(false)
    if (!result.ok) return setError(errorText(result.error))
    if (then) router.push(then)
    else router.refresh()
  }

  return (
    <span className="inline-flex flex-col items-end gap-1">
      <button type="button" disabled={pending} className={danger ? dangerButtonClass : secondaryButtonClass} onClick={onClick}>
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

/** A DELETE behind a confirmation; afterwards, go to `then` or refresh the page. */
export function RemoveButton(props: { url: string; label: string; confirm: string; then?: string }) {
  return <ConfirmedButton {...props} />
}
