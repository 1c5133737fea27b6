'use client'
import { useTranslations } from 'next-intl'
import { useCallback, useEffect, useState } from 'react'
import { fetchJson } from '@/lib/http/client'
import { portListSchema, portShareSchema, sandboxApi, type PortShareBody, type PublishedPortView } from '@/lib/workspace/api'

async function loadPorts(sandboxId: string): Promise<{ ports: PublishedPortView[] } | { error: string }> {
  const answer = await fetchJson(sandboxApi.ports(sandboxId), portListSchema)
  return answer.ok ? { ports: answer.data.ports } : { error: answer.error.message }
}

async function changeSharing(sandboxId: string, port: PublishedPortView, shared: boolean): Promise<{ shared: boolean } | { error: string }> {
  const answer = await fetchJson(sandboxApi.portShare(sandboxId), portShareSchema, {
    method: 'PUT',
    json: { node: port.node, port: port.port, shared } satisfies PortShareBody,
  })
  return answer.ok ? answer.data : { error: answer.error.message }
}

export default function PortsPanel({ sandboxId, active }: { sandboxId: string; active: boolean }) {
  const t = useTranslations('workspace.ports')
  const [ports, setPorts] = useState<PublishedPortView[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  const apply = (result: { ports: PublishedPortView[] } | { error: string }) => {
    if ('error' in result) return setError(result.error)
    setPorts(result.ports)
    setError(null)
  }
  const refresh = useCallback(() => loadPorts(sandboxId), [sandboxId])
  const setShared = (port: PublishedPortView, shared: boolean) =>
    setPorts((list) => list?.map((p) => (p.node === port.node && p.port === port.port && p.protocol === port.protocol ? { ...p, shared } : p)) ?? null)
  // The box follows the click at once; a refusal puts it back and says why.
  const toggleShare = (port: PublishedPortView, shared: boolean) => {
    setShared(port, shared)
    void changeSharing(sandboxId, port, shared).then((result) => {
      if ('error' in result) {
        setShared(port, !shared)
        return setError(t('shareFailed', { message: result.error }))
      }
      setError(null)
      setShared(port, result.shared)
    })
  }

  // While the tab is visible, follow what the learner publishes from the terminal.
  useEffect(() => {
    if (!active) return
    let live = true
    const tick = () => void refresh().then((result) => live && apply(result))
    tick()
    const timer = setInterval(tick, 5000)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [active, refresh])

  return (
    <section aria-label={t('label')} className="h-full overflow-y-auto p-3 text-sm">
      <div className="flex items-center gap-2">
        <h3 className="font-semibold">{t('label')}</h3>
        <span className="flex-1" />
        <button
          type="button"
          onClick={() => void refresh().then(apply)}
          className="rounded border border-slate-600 px-2 py-1 text-xs hover:bg-slate-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-400"
        >
          {t('refresh')}
        </button>
      </div>
      <p className="mt-1 text-xs text-slate-400">{t('note')}</p>
      {ports?.some((p) => p.shared) && <p className="mt-1 text-xs text-sky-300">{t('sharedNote')}</p>}
      <div role="status" aria-live="polite">
        {error && <p className="mt-2 rounded bg-red-950 px-2 py-1 text-red-200">{error}</p>}
      </div>
      {ports === null ? (
        !error && <p className="mt-3 text-slate-400">{t('loading')}</p>
      ) : ports.length === 0 ? (
        <p className="mt-3 text-slate-300">{t('empty')}</p>
      ) : (
        <table className="mt-3 w-full text-left">
          <thead className="text-xs uppercase text-slate-400">
            <tr>
              <th scope="col" className="py-1">{t('port')}</th>
              <th scope="col" className="py-1">{t('node')}</th>
              <th scope="col" className="py-1">{t('container')}</th>
              <th scope="col" className="py-1">{t('share')}</th>
            </tr>
          </thead>
          <tbody>
            {ports.map((p) => (
              <tr key={`${p.node}:${p.port}/${p.protocol}`} className="border-t border-slate-800">
                <td className="py-1.5">
                  {p.protocol === 'tcp' ? (
                    <a
                      href={p.url}
                      target="_blank"
                      rel="noopener noreferrer"
                      className="font-mono text-sky-300 underline hover:text-sky-200 focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-400"
                      aria-label={t('open', { node: p.node, port: p.port })}
                    >
                      {p.port}
                      {p.targetPort !== null && p.targetPort !== p.port ? ` → ${p.targetPort}` : ''} ↗
                    </a>
                  ) : (
                    <span className="font-mono">
                      {p.port}/{p.protocol}
                    </span>
                  )}
                </td>
                <td className="py-1.5 font-mono text-xs">{p.node}</td>
                <td className="py-1.5 font-mono text-xs">{p.container}</td>
                <td className="py-1.5">
                  {p.protocol === 'tcp' && (
                    <input
                      type="checkbox"
                      checked={p.shared}
                      onChange={(event) => toggleShare(p, event.target.checked)}
                      aria-label={t('shareLabel', { node: p.node, port: p.port })}
                      className="h-4 w-4 accent-sky-500"
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
