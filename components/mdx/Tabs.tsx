'use client'
import { Children, isValidElement, useId, useRef, useState, type KeyboardEvent, type ReactElement } from 'react'

type TabProps = { label: string; children?: React.ReactNode }

export function Tab({ children }: TabProps) {
  return <>{children}</>
}

/** WAI-ARIA tabs: arrow keys move between tabs, Home/End jump to the ends. */
export function Tabs({ children }: { children?: React.ReactNode }) {
  const tabs = Children.toArray(children).filter((child): child is ReactElement<TabProps> => isValidElement(child) && typeof (child.props as TabProps).label === 'string')
  const [active, setActive] = useState(0)
  const id = useId()
  const buttons = useRef<(HTMLButtonElement | null)[]>([])

  function onKeyDown(event: KeyboardEvent) {
    const last = tabs.length - 1
    const target = { ArrowRight: active === last ? 0 : active + 1, ArrowLeft: active === 0 ? last : active - 1, Home: 0, End: last }[event.key]
    if (target === undefined) return
    event.preventDefault()
    setActive(target)
    buttons.current[target]?.focus()
  }

  return (
    <div className="not-prose my-5 rounded-lg border border-slate-200">
      <div role="tablist" className="flex gap-1 border-b border-slate-200 bg-slate-50 px-2 pt-2" onKeyDown={onKeyDown}>
        {tabs.map((tab, i) => (
          <button
            key={i}
            ref={(el) => {
              buttons.current[i] = el
            }}
            role="tab"
            type="button"
            id={`${id}-tab-${i}`}
            aria-selected={i === active}
            aria-controls={`${id}-panel-${i}`}
            tabIndex={i === active ? 0 : -1}
            onClick={() => setActive(i)}
            className={
              i === active
                ? '-mb-px rounded-t border border-b-white border-slate-200 bg-white px-3 py-1.5 text-sm font-medium text-slate-900'
                : 'rounded-t px-3 py-1.5 text-sm text-slate-700 hover:text-slate-900'
            }
          >
            {tab.props.label}
          </button>
        ))}
      </div>
      {tabs.map((tab, i) => (
        <div
          key={i}
          role="tabpanel"
          id={`${id}-panel-${i}`}
          aria-labelledby={`${id}-tab-${i}`}
          hidden={i !== active}
          className="lesson-prose prose prose-slate max-w-none px-4 py-2"
        >
          {tab.props.children}
        </div>
      ))}
    </div>
  )
}
