import { toHtml } from 'hast-util-to-html'
import { toString as hastToString } from 'hast-util-to-string'
import { visit } from 'unist-util-visit'
import type { Element, Root as HastRoot } from 'hast'
import type { Root as MdastRoot } from 'mdast'

// Remark/rehype plugins for lesson MDX. They also collect what `content:check` validates
// (components, exercise references, links) into a report object owned by one compilation.

export const authorComponents = ['Callout', 'Tabs', 'Tab', 'Exercise', 'OpenQuestion'] as const
/** The `type`s components/mdx/Callout.tsx styles; it shows any other one as `info`, so a typo would go unnoticed. */
export const calloutTypes = ['info', 'tip', 'warning', 'danger'] as const
const generatedComponents = ['Mermaid']
export const highlightedLanguages = new Set([
  'bash', 'sh', 'shell', 'shellsession', 'zsh', 'console', 'yaml', 'yml', 'json', 'jsonc', 'dockerfile', 'docker',
  'ini', 'toml', 'nginx', 'sql', 'js', 'javascript', 'ts', 'typescript', 'jsx', 'tsx', 'diff', 'python', 'make',
  'makefile', 'hcl', 'text', 'txt', 'plaintext',
])

export type TocEntry = { id: string; text: string; depth: 2 | 3 }

export type CompileReport = {
  components: Set<string>
  exerciseRefs: string[]
  openQuestionRefs: string[]
  links: string[]
  toc: TocEntry[]
  errors: string[]
}

export const newReport = (): CompileReport => ({ components: new Set(), exerciseRefs: [], openQuestionRefs: [], links: [], toc: [], errors: [] })

type MdxJsxNode = {
  type: string
  name?: string | null
  value?: string
  attributes?: { type: string; name?: string; value?: unknown }[]
  children?: MdxJsxNode[]
  position?: { start: { line: number } }
}

const at = (node: { position?: { start: { line: number } } }) => (node.position ? ` (line ${node.position.start.line})` : '')

export class LessonRulesError extends Error {}

export function remarkLessonRules(report: CompileReport) {
  return () => (tree: MdastRoot) => {
    visitLessonTree(tree, report)
    // Stop before esbuild tries to resolve imports or evaluate anything.
    if (report.errors.length > 0) throw new LessonRulesError(report.errors.join('; '))
  }
}

function visitLessonTree(tree: MdastRoot, report: CompileReport) {
    visit(tree, (node, index, parent) => {
      const any = node as unknown as MdxJsxNode
      const type: string = node.type
      switch (type) {
        case 'mdxjsEsm':
          // remark-mdx-frontmatter adds a generated export without a position; authors' imports have one.
          if (!any.position) return
          report.errors.push(`import/export statements are not allowed in lessons${at(any)}`)
          return
        case 'mdxFlowExpression':
        case 'mdxTextExpression':
          report.errors.push(`JavaScript expressions {…} are not allowed in lessons; escape a literal brace as \\{${at(any)}`)
          return
        case 'mdxJsxFlowElement':
        case 'mdxJsxTextElement': {
          const name = any.name ?? ''
          report.components.add(name)
          if (!(authorComponents as readonly string[]).includes(name)) {
            report.errors.push(`unknown component <${name}>${at(any)}; available: ${authorComponents.join(', ')}`)
          }
          for (const attribute of any.attributes ?? []) {
            if (attribute.type !== 'mdxJsxAttribute' || (attribute.value !== null && attribute.value !== undefined && typeof attribute.value !== 'string')) {
              report.errors.push(`<${name}> attributes must be plain strings${at(any)}`)
            }
          }
          if (name === 'Callout') {
            const type = any.attributes?.find((a) => a.type === 'mdxJsxAttribute' && a.name === 'type')
            // A value that is not a string is already reported above.
            if (type && (type.value === null || type.value === undefined || (typeof type.value === 'string' && !(calloutTypes as readonly string[]).includes(type.value)))) {
              report.errors.push(`<Callout type="${type.value ?? ''}"> is not a known type${at(any)}; use one of: ${calloutTypes.join(', ')}`)
            }
          }
          if (name === 'Tab') {
            const label = any.attributes?.find((a) => a.type === 'mdxJsxAttribute' && a.name === 'label')?.value
            // <Tabs> shows only the tabs that have a label: this one, and its text, would vanish.
            if (typeof label !== 'string' || label.trim() === '') report.errors.push(`<Tab> needs a label="…"${at(any)}; a tab without one is not shown`)
            if ((parent as MdxJsxNode | undefined)?.name !== 'Tabs') report.errors.push(`<Tab> must be inside <Tabs>${at(any)}; alone its content shows with neither tab nor label`)
          }
          if (name === 'Tabs') {
            // <Tabs> renders its <Tab> children only: anything else between them would vanish.
            for (const child of any.children ?? []) {
              const isTab = (child.type === 'mdxJsxFlowElement' || child.type === 'mdxJsxTextElement') && child.name === 'Tab'
              const isBlank = child.type === 'text' && (child.value ?? '').trim() === ''
              if (!isTab && !isBlank) report.errors.push(`<Tabs> may hold only <Tab> elements${at(any)}: the ${child.type === 'paragraph' ? 'text' : child.type}${at(child)} between them is never shown`)
            }
          }
          if (name === 'Exercise' || name === 'OpenQuestion') {
            const id = any.attributes?.find((a) => a.name === 'id')?.value
            if (typeof id !== 'string') report.errors.push(`<${name}> needs an id="…"${at(any)}`)
            else if (name === 'Exercise') report.exerciseRefs.push(id)
            else report.openQuestionRefs.push(id)
          }
          return
        }
        case 'link':
          if (node.type === 'link') report.links.push(node.url)
          return
        case 'code': {
          if (node.type !== 'code') return
          const lang = (node.lang ?? '').toLowerCase()
          if (lang === 'mermaid' && parent && typeof index === 'number') {
            const element = {
              type: 'mdxJsxFlowElement',
              name: 'Mermaid',
              attributes: [{ type: 'mdxJsxAttribute', name: 'chart', value: node.value }],
              children: [],
            }
            parent.children.splice(index, 1, element as never)
            return
          }
          // Languages without a grammar are shown as plain text rather than failing the lesson.
          if (lang && !highlightedLanguages.has(lang)) {
            node.meta = [node.meta, `data-source-lang="${lang}"`].filter(Boolean).join(' ')
            node.lang = 'text'
          }
          return
        }
      }
    })
}

/**
 * rehype-pretty-code gives an empty line a space so that it keeps its height; the copy and run
 * buttons send the block's text as the page has it (components/mdx/CodeBlock.tsx), so the line
 * is left empty and CSS keeps its height (app/globals.css). A line of spaces written by the
 * author is a highlighted token, not this bare text, and stays.
 */
export function rehypeEmptyCodeLines() {
  return (tree: HastRoot) => {
    visit(tree, 'element', (node: Element) => {
      // rehype-pretty-code writes the property under its attribute name.
      if (node.properties['data-line'] === undefined && node.properties.dataLine === undefined) return
      const only = node.children.length === 1 ? node.children[0] : undefined
      if (only?.type === 'text' && only.value === ' ') node.children = []
    })
  }
}

export function rehypeCollectToc(report: CompileReport) {
  return () => (tree: HastRoot) => {
    visit(tree, 'element', (node: Element) => {
      if ((node.tagName === 'h2' || node.tagName === 'h3') && typeof node.properties.id === 'string') {
        report.toc.push({ id: node.properties.id, text: hastToString(node), depth: node.tagName === 'h2' ? 2 : 3 })
      }
    })
  }
}

export const knownComponents = [...authorComponents, ...generatedComponents]

/** The component a run of plain markup becomes (components/mdx/StaticHtml.tsx). */
const staticHtmlComponent = 'StaticHtml'

type AnyNode = { type: string; tagName?: string; children?: AnyNode[]; properties?: Record<string, unknown> }

const isWhitespace = (node: AnyNode) => node.type === 'text' && /^\s*$/.test((node as { value?: string }).value ?? '')
/** Markup React would only copy into the page: no component, no expression, no code block. */
const isPlainMarkup = (node: AnyNode): boolean =>
  node.type === 'text' || node.type === 'comment' || (node.type === 'element' && node.tagName !== 'pre' && (node.children ?? []).every(isPlainMarkup))

/**
 * Hands React HTML strings where it has nothing to do: a highlighted block's lines become its
 * `pre`'s `html` prop (one string instead of an element per token), and each run of plain blocks
 * between components becomes one StaticHtml. A lesson page's server render, its flight data and
 * the browser's hydration then walk a few dozen elements instead of thousands.
 * Runs are formed only where blocks are (the document, and inside block components), so inline
 * markup is never wrapped in a block.
 */
export function rehypeStaticHtml() {
  return (tree: HastRoot) => collapse(tree as unknown as AnyNode)
}

function collapse(parent: AnyNode): void {
  const children = parent.children ?? []
  if (parent.type === 'element' && parent.tagName === 'pre') {
    parent.properties = { ...parent.properties, html: toHtml(children as never) }
    parent.children = []
    return
  }
  const blockLevel = parent.type === 'root' || parent.type === 'mdxJsxFlowElement'
  const result: AnyNode[] = []
  let run: AnyNode[] = []
  const flush = () => {
    const end = run.findLastIndex((n) => !isWhitespace(n))
    const start = run.findIndex((n) => !isWhitespace(n))
    if (start === -1) result.push(...run)
    else {
      result.push(...run.slice(0, start))
      result.push({
        type: 'mdxJsxFlowElement',
        name: staticHtmlComponent,
        attributes: [{ type: 'mdxJsxAttribute', name: 'html', value: toHtml(run.slice(start, end + 1) as never) }],
        children: [],
      } as AnyNode)
      result.push(...run.slice(end + 1))
    }
    run = []
  }
  for (const child of children) {
    if (blockLevel && isPlainMarkup(child)) {
      run.push(child)
      continue
    }
    flush()
    if (child.children) collapse(child)
    result.push(child)
  }
  flush()
  parent.children = result
}
