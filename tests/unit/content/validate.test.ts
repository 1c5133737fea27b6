import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileLesson } from '@/lib/content/compile.server'
import { loadContentTree } from '@/lib/content/load.server'
import { formatProblem } from '@/lib/content/problems'
import { summaryLine, validateContent } from '@/lib/content/validate.server'

const fixtures = path.join(import.meta.dirname, '..', '..', 'fixtures')

describe('content validation', () => {
  it('accepts valid content and counts it', async () => {
    const { problems, summary } = await validateContent(loadContentTree(path.join(fixtures, 'content')))
    expect(problems.map((p) => formatProblem(p))).toEqual([])
    expect(summaryLine(summary)).toBe('content: 1 courses, 3 lessons, 2 exercises, 5 quiz questions')
  })

  it('names the file and the field of every problem in broken content', async () => {
    const root = path.join(fixtures, 'content-broken')
    const { problems } = await validateContent(loadContentTree(root))
    const lines = problems.map((p) => formatProblem(p, root))
    const expected: [string, string, string][] = [
      ['courses/bad/course.yaml', 'lessons[4]', 'no folder absente/'],
      ['courses/bad/course.yaml', 'lessons', 'orpheline/ is not listed'],
      ['courses/bad/frontmatter/lesson.mdx', 'duration', '>=1'],
      ['courses/bad/frontmatter/lesson.mdx', 'objectives', '>=1'],
      ['courses/bad/frontmatter/lesson.mdx', 'colour', 'Unrecognized key'],
      ['courses/bad/quiz/quiz.yaml', 'questions[0].answer', '"z" is not one of the choice ids'],
      ['courses/bad/quiz/quiz.yaml', 'questions[1].accept[0].pattern', 'invalid regular expression'],
      ['courses/bad/quiz/quiz.yaml', 'questions[2].type', 'single'],
      ['courses/bad/quiz/lesson.mdx', 'prerequisites[0]', 'no lesson "inexistante"'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0].checks[0].kind', 'network'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0].checks[1].drivr', 'Unrecognized key'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0].checks[2].name', 'needs "name" or "service"'],
      ['courses/bad/exercices/lesson.mdx', '<Exercise id="fantome">', 'no exercise with this id'],
      ['courses/bad/liens/lesson.mdx', '(mdx)', 'import/export statements are not allowed in lessons (line 8)'],
      ['courses/bad/liens/lesson.mdx', '(mdx)', 'unknown component <Inconnu> (line 12)'],
      ['courses/bad/liens/lesson.mdx', '(mdx)', 'JavaScript expressions'],
      ['courses/cassé', '(folder name)', 'lower-case'],
      ['courses/cassé/course.yaml', 'order', 'expected number'],
    ]
    for (const [file, field, message] of expected) {
      expect(lines, `${file}: ${field}`).toContainEqual(expect.stringMatching(new RegExp(`^${escape(file)}: ${escape(field)}: .*${escape(message)}`)))
    }
  })

  it('reports broken internal links once the lesson compiles', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-content-'))
    fs.cpSync(path.join(fixtures, 'content'), root, { recursive: true })
    const file = path.join(root, 'courses/demo/lecture/lesson.mdx')
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('../quiz-lesson', '../nowhere').replace('/courses/demo/labo', '/courses/nope/labo'))
    const { problems } = await validateContent(loadContentTree(root))
    fs.rmSync(root, { recursive: true, force: true })
    expect(problems.map((p) => p.field)).toEqual(['link ../nowhere', 'link /courses/nope/labo'])
  })
})

describe('lesson compilation', () => {
  it('builds the table of contents, keeps raw code for the copy button and turns mermaid into a diagram', async () => {
    const tree = loadContentTree(path.join(fixtures, 'content'))
    const lesson = tree.courses[0]!.lessons[0]!
    const compiled = await compileLesson(lesson.mdxPath, lesson.source)
    expect(compiled.toc).toEqual([
      { id: 'première-partie', text: 'Première partie', depth: 2 },
      { id: 'seconde-partie', text: 'Seconde partie', depth: 2 },
    ])
    expect(compiled.code).toContain('docker network ls')
    expect(compiled.code).toMatch(/dataRaw|"data-raw"/)
    expect(compiled.code).toContain('Mermaid')
    expect(compiled.links).toEqual(['../quiz-lesson', '/courses/demo/labo'])
  })
})

function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
