// rehypeStaticHtml (lib/content/mdx-plugins.ts): what React has nothing to do with reaches it as
// HTML strings, and the page it renders is the same page.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getMDXComponent } from 'mdx-bundler/client'
import { createElement, type ReactNode } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { afterAll, describe, expect, it } from 'vitest'
import { compileLesson } from '@/lib/content/compile.server'
import { StaticHtml } from '@/components/mdx/StaticHtml'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-static-html-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const source = `---
title: Essai
summary: Une leçon pour tester le rendu.
duration: 5
objectives: [Tester]
---

## Un titre

Un paragraphe avec du **gras**, un [lien](https://docs.docker.com) et \`du code\`.

- un point
- un autre *point*

<Callout type="tip">
Dans l'encadré, un paragraphe.

\`\`\`bash
docker run --rm busybox echo "a < b & c"
\`\`\`
</Callout>

| colonne | valeur |
| --- | --- |
| a | 1 |

<Exercise id="premier" />

Le dernier paragraphe.
`

// Stand-ins for the lesson's components (components/mdx/): what each renders is all these tests read.
const Callout = ({ children }: { children?: ReactNode }) => createElement('aside', null, children)
const pre = ({ html, ...rest }: { html: string }) => createElement('pre', { ...rest, dangerouslySetInnerHTML: { __html: html } })

async function compile() {
  const file = path.join(dir, 'lesson.mdx')
  fs.writeFileSync(file, source)
  return compileLesson(file, source)
}

describe('static markup', () => {
  it('reaches React as a few HTML strings around the components, and renders the same page', async () => {
    const compiled = await compile()
    const seen: string[] = []
    const components = {
      StaticHtml: (props: { html: string }) => {
        seen.push('StaticHtml')
        return StaticHtml(props)
      },
      Callout,
      Exercise: ({ id }: { id: string }) => createElement('section', { 'data-exercise': id }),
      pre,
    }
    const html = renderToStaticMarkup(createElement(getMDXComponent(compiled.code), { components }))
    // Heading, paragraph, list; the callout's paragraph; table; last paragraph.
    expect(seen).toHaveLength(4)
    expect(html).toContain('<div class="contents"><h2 id="un-titre">Un titre</h2>')
    expect(html).toContain('<strong>gras</strong>, un <a href="https://docs.docker.com">lien</a> et <code>du code</code>.')
    expect(html).toContain('<li>un autre <em>point</em></li>')
    expect(html).toMatch(/<aside><div class="contents"><p>Dans l(&#x27;|')encadré, un paragraphe.<\/p><\/div>/)
    expect(html).toContain('<section data-exercise="premier"></section>')
    expect(html).toContain('<td>1</td>')
    // The code block is one string on its <pre>, its text exact (escaped once, not twice).
    expect(compiled.code).toMatch(/html: '<code data-language=\\"bash\\"|html: '<code data-language="bash"/)
    expect(html).toContain('"a &#x3C; b &#x26; c"')
    expect(html).not.toMatch(/&amp;(lt|#x3C);/)
    expect(html).toContain('<div class="contents"><p>Le dernier paragraphe.</p></div>')
  })

  it('never wraps inline markup in a block: a paragraph holding a component stays a paragraph', async () => {
    const file = path.join(dir, 'inline.mdx')
    const inline = source.replace('Le dernier paragraphe.', 'Avant <Exercise id="dedans" /> après.')
    fs.writeFileSync(file, inline)
    const compiled = await compileLesson(file, inline)
    const components = {
      StaticHtml,
      Callout,
      Exercise: ({ id }: { id: string }) => createElement('span', { 'data-exercise': id }),
      pre,
    }
    const html = renderToStaticMarkup(createElement(getMDXComponent(compiled.code), { components }))
    expect(html).toContain('<p>Avant <span data-exercise="dedans"></span> après.</p>')
  })
})
