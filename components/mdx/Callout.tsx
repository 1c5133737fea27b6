import clsx from 'clsx'

const styles = {
  info: { box: 'border-sky-300 bg-sky-50', title: 'text-sky-900', icon: 'ℹ' },
  tip: { box: 'border-emerald-300 bg-emerald-50', title: 'text-emerald-900', icon: '✓' },
  warning: { box: 'border-amber-400 bg-amber-50', title: 'text-amber-900', icon: '!' },
  danger: { box: 'border-red-400 bg-red-50', title: 'text-red-900', icon: '✕' },
} as const

export function Callout({ type = 'info', title, children }: { type?: string; title?: string; children?: React.ReactNode }) {
  const style = styles[type as keyof typeof styles] ?? styles.info
  return (
    <aside className={clsx('not-prose my-5 rounded-lg border-l-4 px-4 py-3 text-[0.95rem]', style.box)} role="note">
      {title && (
        <p className={clsx('mb-1 flex items-center gap-2 font-semibold', style.title)}>
          <span aria-hidden="true" className="inline-flex h-5 w-5 items-center justify-center rounded-full bg-white text-xs font-bold">
            {style.icon}
          </span>
          {title}
        </p>
      )}
      <div className="prose prose-slate prose-sm max-w-none [&>:first-child]:mt-0 [&>:last-child]:mb-0">{children}</div>
    </aside>
  )
}
