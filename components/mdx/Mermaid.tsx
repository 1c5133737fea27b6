'use client'
import { useTranslations } from 'next-intl'
import { useEffect, useId, useState } from 'react'

/** A diagram written in Mermaid; the library loads only on lessons that have one. */
export function Mermaid({ chart }: { chart: string }) {
  const t = useTranslations('learn')
  const id = useId().replace(/[^a-zA-Z0-9]/g, '')
  const [svg, setSvg] = useState<string | null>(null)
  const [failed, setFailed] = useState(false)

  useEffect(() => {
    let cancelled = false
    void (async () => {
      try {
        const { default: mermaid } = await import('mermaid')
        mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', fontFamily: 'inherit' })
        const { svg: rendered } = await mermaid.render(`mermaid-${id}`, chart)
        if (!cancelled) setSvg(rendered)
      } catch {
        if (!cancelled) setFailed(true)
      }
    })()
    return () => {
      cancelled = true
    }
  }, [chart, id])

  return (
    <figure className="not-prose my-6 overflow-x-auto rounded-lg border border-slate-200 bg-white p-4" aria-label={t('diagram')}>
      {svg ? (
        <div className="flex justify-center" dangerouslySetInnerHTML={{ __html: svg }} />
      ) : (
        <pre className="whitespace-pre-wrap font-mono text-xs text-slate-700" aria-busy={!failed}>
          {chart}
        </pre>
      )}
    </figure>
  )
}
