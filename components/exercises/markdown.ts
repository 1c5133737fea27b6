// A small Markdown reader for exercise instructions (paragraphs, lists, fenced code, inline
// code, bold, italic and links) and for quiz prompts, choices and explanations (inline only).
// It builds a tree, never HTML, so an author's `<script>` or `<img onerror>` is shown as
// text: instructions and quizzes can never inject markup into the page.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' }

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][] }

/** Only web and relative links; anything else (javascript:, data:) becomes plain text. */
export function safeHref(href: string): string | null {
  const trimmed = href.trim()
  if (/^(https?:\/\/|\/(?!\/)|#|\.{0,2}\/)/i.test(trimmed)) return trimmed
  return null
}

export function parseInline(source: string): Inline[] {
  const out: Inline[] = []
  let text = ''
  const flush = () => {
    if (text) out.push({ type: 'text', text })
    text = ''
  }
  let i = 0
  while (i < source.length) {
    const rest = source.slice(i)
    const code = /^(`+)([\s\S]*?[^`])\1(?!`)/.exec(rest)
    if (code) {
      flush()
      out.push({ type: 'code', text: code[2]!.replace(/^ (.*) $/, '$1') })
      i += code[0].length
      continue
    }
    const strong = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest)
    if (strong) {
      flush()
      out.push({ type: 'strong', children: parseInline(strong[2]!) })
      i += strong[0].length
      continue
    }
    const em = /^(\*|_)(?=\S)([\s\S]*?\S)\1(?![*_\w])/.exec(rest)
    if (em && !(em[1] === '_' && /\w/.test(source[i - 1] ?? ''))) {
      flush()
      out.push({ type: 'em', children: parseInline(em[2]!) })
      i += em[0].length
      continue
    }
    const link = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest)
    if (link) {
      const href = safeHref(link[2]!)
      flush()
      if (href) out.push({ type: 'link', href, children: parseInline(link[1]!) })
      else out.push(...parseInline(link[1]!))
      i += link[0].length
      continue
    }
    if (rest.startsWith('  \n') || rest.startsWith('\\\n')) {
      flush()
      out.push({ type: 'break' })
      i += rest.startsWith('\\') ? 2 : 3
      continue
    }
    if (rest[0] === '\\' && rest[1] && /[\\`*_[\]()#+\-.!]/.test(rest[1])) {
      text += rest[1]
      i += 2
      continue
    }
    text += source[i]
    i++
  }
  flush()
  return out
}

/** The text a reader hears: inline Markdown without its marks (an aria-label, a title). */
export function plainText(source: string): string {
  const text = (nodes: Inline[]): string =>
    nodes.map((node) => (node.type === 'text' || node.type === 'code' ? node.text : node.type === 'break' ? '\n' : text(node.children))).join('')
  return text(parseInline(source))
}

const listItem = /^( {0,3})([-*+]|\d{1,9}[.)])[ \t]+(.*)$/

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n')
  return parseBlocks(lines)
}

function parseBlocks(lines: string[]): Block[] {
  const blocks: Block[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (line.trim() === '') {
      i++
      continue
    }
    const fence = /^ {0,3}(```+|~~~+)\s*([\w+-]*)/.exec(line)
    if (fence) {
      const body: string[] = []
      i++
      while (i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!)) body.push(lines[i++]!)
      i++
      blocks.push({ type: 'code', lang: fence[2] ?? '', text: body.join('\n') })
      continue
    }
    const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading) {
      blocks.push({ type: 'heading', level: heading[1]!.length, children: parseInline(heading[2]!) })
      i++
      continue
    }
    const item = listItem.exec(line)
    if (item) {
      const ordered = /\d/.test(item[2]!)
      const items: Block[][] = []
      while (i < lines.length) {
        const m = listItem.exec(lines[i]!)
        if (!m || /\d/.test(m[2]!) !== ordered) break
        const indent = m[1]!.length + m[2]!.length + 1
        const body = [m[3]!]
        i++
        // Continuation: indented lines, and blank lines followed by indented ones.
        while (i < lines.length) {
          const next = lines[i]!
          if (next.trim() === '') {
            // A blank line belongs to the item only when the next line is indented under it.
            if (!(i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]!))) break
            body.push('')
            i++
            continue
          }
          if (listItem.exec(next) && next.search(/\S/) < indent) break
          if (!/^\s/.test(next)) {
            // A lazy continuation of the item's paragraph.
            if (body[body.length - 1] === '') break
            body.push(next)
            i++
            continue
          }
          body.push(next.slice(Math.min(indent, next.search(/\S/))))
          i++
        }
        items.push(parseBlocks(body))
        while (i < lines.length && lines[i]!.trim() === '' && listItem.exec(lines[i + 1] ?? '')) i++
      }
      blocks.push({ type: 'list', ordered, start: ordered ? Number.parseInt(item[2]!, 10) : 1, items })
      continue
    }
    const para: string[] = []
    while (i < lines.length && lines[i]!.trim() !== '' && !listItem.exec(lines[i]!) && !/^ {0,3}(```|~~~|#{1,6}\s)/.test(lines[i]!)) para.push(lines[i++]!)
    blocks.push({ type: 'paragraph', children: parseInline(para.map((l) => l.replace(/^\s+/, '')).join('\n')) })
  }
  return blocks
}
