import type { TocEntry } from '@/lib/content/mdx-plugins'

export function Toc({ entries, title }: { entries: TocEntry[]; title: string }) {
  if (entries.length === 0) return null
  return (
    <nav aria-label={title} className="text-sm">
      <p className="mb-2 font-semibold text-slate-900">{title}</p>
      <ul className="space-y-1.5 border-l border-slate-200">
        {entries.map((entry) => (
          <li key={entry.id} className={entry.depth === 3 ? 'pl-6' : 'pl-3'}>
            <a href={`#${entry.id}`} className="block text-slate-700 hover:text-brand-700 hover:underline">
              {entry.text}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}
