import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getMDXComponent } from 'mdx-bundler/client'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { afterAll, describe, expect, it } from 'vitest'
import { compileLesson } from '@/lib/content/compile.server'
import { StaticHtml } from '@/components/mdx/StaticHtml'

// A code block's copy and run buttons send the text of the highlighted block as the page shows
// it (components/mdx/CodeBlock.tsx reads its <pre>'s textContent), not a copy of the source
// sent beside it. That text must be the author's code exactly: every line, blank lines,
// indentation, and characters HTML escapes.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-code-text-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const blocks = [
  ['bash', 'docker network create --subnet 10.42.0.0/16 demo-net\n\ndocker run -d --name web \\\n  --network demo-net nginx && echo "ok <done>" > /tmp/out\n\tcat \'/tmp/out\' | grep -c "&"'],
  ['yaml', 'services:\n  web:\n    image: "nginx:1.27"\n    ports: ["8080:80"]\n\n  # a comment & <tag>\n'],
  ['text', '172.18.0.5\n172.18.0.4'],
  ['nosuchlanguage', 'plain text, shown as text'],
] as const

/** The text content of each <code> in the HTML, as the browser's textContent reads it. */
function codeTexts(html: string): string[] {
  const decode = (s: string) =>
    s
      .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&amp;/g, '&')
  return [...html.matchAll(/<code[^>]*>([\s\S]*?)<\/code>/g)].map((m) => decode(m[1]!.replace(/<[^>]+>/g, '')))
}

describe('code blocks', () => {
  it("show the author's code exactly as text, so the buttons can read it from the page", async () => {
    const source = ['# Essai', '', ...blocks.flatMap(([lang, code]) => ['```' + lang, code.replace(/\n$/, ''), '```', ''])].join('\n')
    const file = path.join(dir, 'lesson.mdx')
    fs.writeFileSync(file, source)
    const compiled = await compileLesson(file, source)
    // The compiler hands each block's lines to its <pre> as an HTML string (CodeBlock puts it in).
    const pre = ({ html, ...rest }: { html: string }) => createElement('pre', { ...rest, dangerouslySetInnerHTML: { __html: html } })
    const html = renderToStaticMarkup(createElement(getMDXComponent(compiled.code), { components: { pre, StaticHtml } }))
    expect(codeTexts(html)).toEqual(blocks.map(([, code]) => code.replace(/\n$/, '')))
    expect(compiled.code).not.toMatch(/dataRaw|"data-raw"/)
  })
})
