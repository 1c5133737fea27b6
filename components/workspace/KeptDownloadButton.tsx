'use client'
import { useState } from 'react'
import { apiErrorSchema } from '@/lib/errors'

export type KeptDownloadLabels = {
  label: string
  busy: string
  /** By the API's error code (kept_not_found, kept_busy, kept_host_unavailable, rate_limited...), and `other`. */
  errors: Record<string, string> & { other: string }
}

/**
 * "Télécharger le dossier" for kept work that is not running: fetched first, so that a refusal
 * (busy, gone, its host not answering) is said in the learner's language instead of a JSON page;
 * the archive (at most 100 MiB) is then saved under the server's file name.
 */
export function KeptDownloadButton({ href, labels, className }: { href: string; labels: KeptDownloadLabels; className?: string }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const download = async () => {
    setBusy(true)
    setError(null)
    try {
      const response = await fetch(href, { credentials: 'same-origin' })
      if (!response.ok) {
        const body = apiErrorSchema.safeParse(await response.json().catch(() => null))
        const code = body.success ? body.data.error.code : 'other'
        return setError(labels.errors[code] ?? labels.errors.other)
      }
      const name = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get('content-disposition') ?? '')?.[1]
      const url = URL.createObjectURL(await response.blob())
      const link = document.createElement('a')
      link.href = url
      link.download = name ? decodeURIComponent(name) : 'lab.tar.gz'
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
    } catch {
      setError(labels.errors.network ?? labels.errors.other)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button type="button" className={className} onClick={() => void download()} disabled={busy} data-kept-download>
        {busy ? labels.busy : labels.label}
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-600" data-kept-download-error>
          {error}
        </span>
      )}
    </>
  )
}
