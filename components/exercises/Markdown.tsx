import { Fragment, type ReactNode } from 'react'
import { parseInline, parseMarkdown, type Block, type Inline } from './markdown'

// Renders the tree from markdown.ts as React elements: no HTML string is ever injected.
// <Markdown> renders blocks (exercise instructions); <InlineMarkdown> renders one run of
// inline Markdown (`code`, **bold**, *italic*, links) where only phrasing content fits: a
// quiz prompt in a <legend>, a choice in a <label>.

function inline(nodes: Inline[]): ReactNode {
  return nodes.map((node, i) => {
    switch (node.type) {
      case 'text':
        return <Fragment key={i}>{node.text}</Fragment>
      case 'code':
        return (
          <code key={i} className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.85em] text-slate-900">
            {node.text}
          </code>
        )
      case 'strong':
        return <strong key={i}>{inline(node.children)}</strong>
      case 'em':
        return <em key={i}>{inline(node.children)}</em>
      case 'link':
        return (
          <a key={i} href={node.href} className="text-brand-700 underline" {...(/^https?:/.test(node.href) ? { target: '_blank', rel: 'noopener noreferrer' } : {})}>
            {inline(node.children)}
          </a>
        )
      case 'break':
        return <br key={i} />
    }
  })
}

function block(node: Block, key: number): ReactNode {
  switch (node.type) {
    case 'paragraph':
      return (
        <p key={key} className="my-2 whitespace-pre-line">
          {inline(node.children)}
        </p>
      )
    case 'heading':
      return (
        <p key={key} className="mb-1 mt-3 font-semibold">
          {inline(node.children)}
        </p>
      )
    case 'code':
      return (
        <pre key={key} className="my-2 overflow-x-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">
          <code>{node.text}</code>
        </pre>
      )
    case 'list': {
      const items = node.items.map((item, i) => <li key={i}>{item.map(block)}</li>)
      return node.ordered ? (
        <ol key={key} start={node.start} className="my-2 list-decimal space-y-1 pl-6 [&_p]:my-0">
          {items}
        </ol>
      ) : (
        <ul key={key} className="my-2 list-disc space-y-1 pl-6 [&_p]:my-0">
          {items}
        </ul>
      )
    }
  }
}

export function Markdown({ source, className }: { source: string; className?: string }) {
  return <div className={className}>{parseMarkdown(source).map(block)}</div>
}

export function InlineMarkdown({ source }: { source: string }) {
  return <>{inline(parseInline(source))}</>
}
