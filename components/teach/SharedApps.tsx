import { getFormatter, getTranslations } from 'next-intl/server'
import type { SharedPortView } from '@/lib/workspace/port-access.server'

/** The apps a class's students share with their instructors (running sandboxes only). */
export async function SharedApps({ ports }: { ports: SharedPortView[] }) {
  if (ports.length === 0) return null
  const [t, format] = await Promise.all([getTranslations('teach.sharedApps'), getFormatter()])
  return (
    <section className="mt-8" aria-labelledby="shared-apps-heading">
      <h2 id="shared-apps-heading" className="text-xl font-semibold">
        {t('heading')}
      </h2>
      <p className="mt-1 text-sm text-slate-600">{t('intro')}</p>
      <table className="mt-3 w-full text-left text-sm">
        <thead className="text-xs uppercase text-slate-600">
          <tr>
            <th scope="col" className="py-1">{t('student')}</th>
            <th scope="col" className="py-1">{t('lesson')}</th>
            <th scope="col" className="py-1">{t('port')}</th>
            <th scope="col" className="py-1">{t('since')}</th>
          </tr>
        </thead>
        <tbody>
          {ports.map((p) => (
            <tr key={`${p.studentId}/${p.node}/${p.port}`} className="border-t border-slate-200">
              <td className="py-1.5">{p.studentName}</td>
              <td className="py-1.5 font-mono text-xs">{p.lessonKey ?? ''}</td>
              <td className="py-1.5">
                <a href={p.url} target="_blank" rel="noopener noreferrer" className="font-mono text-brand-700 underline" aria-label={t('open', { node: p.node, port: p.port, student: p.studentName })}>
                  {p.node}:{p.port} ↗
                </a>
              </td>
              <td className="py-1.5 text-slate-600">{format.relativeTime(new Date(p.sharedAt))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
