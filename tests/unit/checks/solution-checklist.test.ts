import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { SolutionChecklist } from '@/components/teach/RunSolutionButton'
import { failingLines, solutionRunAssertions } from '@/lib/authoring/solution-checklist'
import { evaluateCheck } from '@/lib/checks/evaluate'
import { emptyNodeFacts } from '@/lib/checks/facts'
import { checkSchema } from '@/lib/content/check-kinds'

// The check's label, as its author wrote it, in the solvability output and the preview's run.

const checks = [
  checkSchema.parse({ kind: 'network', name: 'front-net', label: 'le réseau du front' }),
  checkSchema.parse({ kind: 'container', name: 'web', running: true }),
]
const assertions = checks.flatMap((c, i) => evaluateCheck(c, i, emptyNodeFacts('node1')))
const lines = solutionRunAssertions(checks, assertions, 'fr')

describe('a solution run names each line’s check by its label', () => {
  it('in the solvability output', () => {
    expect(failingLines(lines)).toEqual([
      '  ✗ [le réseau du front] network:front-net:exists: aucun réseau nommé front-net',
      expect.stringMatching(/^ {2}✗ container:web:exists: /),
      expect.stringMatching(/^ {2}✗ container:web:running: /),
    ])
  })

  it('in the preview, once above the lines of its check', () => {
    const html = renderToStaticMarkup(createElement(SolutionChecklist, { title: 'Avant', assertions: lines }))
    expect(html.match(/data-check-label="">([^<]*)</g)).toEqual(['data-check-label="">le réseau du front<'])
  })
})
