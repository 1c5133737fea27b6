import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadContentTree } from '@/lib/content/load.server'
import { openQuestionSchema, toPublicOpenQuestion } from '@/lib/content/open-questions'
import { formatProblem } from '@/lib/content/problems'
import { validateContent } from '@/lib/content/validate.server'
import { OpenAnswerError } from '@/lib/open-questions/errors'
import { checkContent, checkGrade, lockOf, normaliseText, percentOf } from '@/lib/open-questions/rules'
import { safeFileName, sniffFile } from '@/lib/open-questions/sniff'

const base = {
  id: 'schema',
  title: 'Le schéma',
  prompt: 'Dessinez le schéma des réseaux.',
  rubric: [
    { id: 'reseaux', label: 'Les réseaux', points: 3, description: 'Les trois réseaux.' },
    { id: 'clarte', label: 'Clarté', points: 2, description: 'Lisible.' },
  ],
}
const question = (over: Record<string, unknown> = {}) => openQuestionSchema.parse({ ...base, ...over })
const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error instanceof OpenAnswerError ? [error.status, error.code] : ['other', String(error)]
  }
  return null
}

describe('open questions: authoring schema', () => {
  it('derives the total from the rubric and defaults the file block from the answer kind', () => {
    expect(question()).toMatchObject({ points: 5, answer: 'text', maxLength: 5000, file: null, rubricVisible: true })
    expect(question({ answer: 'both' }).file).toEqual({ types: ['image', 'pdf', 'text'], maxSizeMb: 5 })
    expect(question({ answer: 'file', file: { types: ['pdf'] } }).file).toEqual({ types: ['pdf'], maxSizeMb: 5 })
  })

  it('names the field of each authoring mistake', () => {
    const issues = (over: Record<string, unknown>) => openQuestionSchema.safeParse({ ...base, ...over }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(issues({ points: 6 })).toEqual(["points: 6 is not the rubric's total (5): remove it or make them agree"])
    expect(issues({ file: { types: ['pdf'] } })).toEqual(['file: a file block needs answer: file or answer: both'])
    expect(issues({ answer: 'both', file: { types: ['svg'] } })?.[0]).toMatch(/^file\.types\.0: /)
    expect(issues({ answer: 'both', file: { maxSizeMb: 50 } })?.[0]).toMatch(/^file\.maxSizeMb: /)
    expect(issues({ rubric: [...base.rubric, { ...base.rubric[0] }] })).toEqual(['rubric.2.id: duplicate criterion id "reseaux"'])
    expect(issues({ rubrik: [] })?.[0]).toMatch(/Unrecognized key/)
  })

  it('keeps a hidden rubric off the learner page', () => {
    expect(toPublicOpenQuestion(question({ rubricVisible: false })).rubric.map((c) => [c.label, c.points, c.description])).toEqual([
      ['Les réseaux', 3, ''],
      ['Clarté', 2, ''],
    ])
    expect(toPublicOpenQuestion(question()).rubric[0]?.description).toBe('Les trois réseaux.')
  })

  it('content:check names the file and field of an invalid question, an unplaced one and a placement without a question', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-open-'))
    const lesson = path.join(root, 'courses', 'cours', 'lecon')
    fs.mkdirSync(lesson, { recursive: true })
    fs.writeFileSync(path.join(root, 'courses', 'cours', 'course.yaml'), 'title: Un cours\nsummary: Un cours pour le test.\norder: 1\nlessons: [lecon]\n')
    fs.writeFileSync(path.join(lesson, 'lesson.mdx'), '---\ntitle: Une leçon\nsummary: Une leçon pour le test.\nduration: 5\nobjectives: [Lire]\n---\n\n<OpenQuestion id="fantome" />\n\n<OpenQuestion id="bonne" />\n')
    const yaml = (points: number) =>
      `questions:\n  - id: bonne\n    title: Une bonne question\n    prompt: Expliquez ce que fait Docker.\n    points: ${points}\n    rubric:\n      - { id: juste, label: Juste, points: 2, description: La réponse est juste. }\n  - id: oubliee\n    title: Une question oubliée\n    prompt: Expliquez ce que fait Compose.\n    rubric:\n      - { id: juste, label: Juste, points: 2, description: La réponse est juste. }\n`
    fs.writeFileSync(path.join(lesson, 'open-questions.yaml'), yaml(3))
    const lines = async () => (await validateContent(loadContentTree(root))).problems.map((p) => formatProblem(p, root))
    expect(await lines()).toEqual(["courses/cours/lecon/open-questions.yaml: questions[0].points: 3 is not the rubric's total (2): remove it or make them agree"])
    fs.writeFileSync(path.join(lesson, 'open-questions.yaml'), yaml(2))
    expect(await lines()).toEqual([
      'courses/cours/lecon/lesson.mdx: <OpenQuestion id="fantome">: no open question with this id in open-questions.yaml',
      'courses/cours/lecon/open-questions.yaml: questions[1]: open question "oubliee" is placed nowhere in lesson.mdx: add <OpenQuestion id="oubliee" /> where it fits in the text, or remove it',
    ])
    const report = await validateContent(loadContentTree(root))
    expect(report.summary.openQuestions).toBe(2)
    fs.rmSync(root, { recursive: true, force: true })
  })
})

describe('open questions: rules', () => {
  it('locks an answer after the exam, or once graded unless the grader asked for another version', () => {
    expect(lockOf(null, false)).toBeNull()
    expect(lockOf({ status: 'submitted', resubmitAllowed: false }, false)).toBeNull()
    expect(lockOf({ status: 'graded', resubmitAllowed: false }, false)).toBe('graded')
    expect(lockOf({ status: 'graded', resubmitAllowed: true }, false)).toBeNull()
    expect(lockOf({ status: 'draft', resubmitAllowed: false }, true)).toBe('exam_over')
  })

  it('refuses an empty hand-in, a text too long, text on a file question, a file on a text question, a file too large', () => {
    const text = question({ maxLength: 50 })
    const file = question({ answer: 'file', file: { maxSizeMb: 1 } })
    const both = question({ answer: 'both' })
    expect(codeOf(() => checkContent(text, 'draft', '', false, null))).toBeNull()
    expect(codeOf(() => checkContent(text, 'submit', '   ', false, null))).toEqual([422, 'empty_answer'])
    expect(codeOf(() => checkContent(text, 'submit', 'x'.repeat(51), false, null))).toEqual([422, 'text_too_long'])
    expect(codeOf(() => checkContent(text, 'submit', 'ok', true, { size: 10 }))).toEqual([422, 'file_not_allowed'])
    expect(codeOf(() => checkContent(file, 'submit', 'du texte', true, null))).toEqual([422, 'text_not_allowed'])
    expect(codeOf(() => checkContent(file, 'submit', '', false, null))).toEqual([422, 'empty_answer'])
    expect(codeOf(() => checkContent(file, 'submit', '', true, { size: 1024 * 1024 + 1 }))).toEqual([413, 'file_too_large'])
    expect(codeOf(() => checkContent(both, 'submit', '', true, null))).toBeNull()
    expect(codeOf(() => checkContent(both, 'submit', 'du texte', false, null))).toBeNull()
    expect(normaliseText('a\r\nb\rc')).toBe('a\nb\nc')
  })

  it('grades every criterion within its points, and nothing else', () => {
    const q = question()
    expect(checkGrade(q, { reseaux: 2.5, clarte: 2 })).toEqual({ points: 4.5, maxPoints: 5 })
    expect(codeOf(() => checkGrade(q, { reseaux: 2 }))).toEqual([422, 'invalid_grade'])
    expect(codeOf(() => checkGrade(q, { reseaux: 4, clarte: 0 }))).toEqual([422, 'invalid_grade'])
    expect(codeOf(() => checkGrade(q, { reseaux: 1, clarte: 1, bonus: 1 }))).toEqual([422, 'invalid_grade'])
    try {
      checkGrade(q, { reseaux: 4 })
    } catch (error) {
      expect((error as OpenAnswerError).details).toEqual({ fields: [{ field: 'criteria.reseaux', message: 'at most 3' }, { field: 'criteria.clarte', message: 'not graded' }] })
    }
    expect(percentOf(4.5, 5)).toBe(90)
    expect(percentOf(1, 3)).toBe(33.3)
  })
})

describe('open questions: what an uploaded file is', () => {
  const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)))
  it('recognises images, PDF and UTF-8 text from their bytes, and nothing else', () => {
    expect(sniffFile(bytes([0x89], 'PNG\r\n\x1a\n', 'rest'))?.contentType).toBe('image/png')
    expect(sniffFile(bytes([0xff, 0xd8, 0xff, 0xe0]))?.contentType).toBe('image/jpeg')
    expect(sniffFile(bytes('GIF89a...'))?.kind).toBe('image')
    expect(sniffFile(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))?.contentType).toBe('image/webp')
    expect(sniffFile(bytes('%PDF-1.7\n'))?.kind).toBe('pdf')
    expect(sniffFile(new TextEncoder().encode('réseau front → back\n'))).toEqual({ kind: 'text', contentType: 'text/plain; charset=utf-8', extension: 'txt' })
    // HTML is text, stored and served as text/plain; SVG too: never as an image that could run script.
    expect(sniffFile(new TextEncoder().encode('<html><script>alert(1)</script></html>'))?.contentType).toBe('text/plain; charset=utf-8')
    expect(sniffFile(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))?.kind).toBe('text')
    expect(sniffFile(bytes('MZ', [0x90, 0, 3, 0]))).toBeNull()
    expect(sniffFile(bytes([0xc3, 0x28]))).toBeNull()
    expect(sniffFile(new Uint8Array())).toBeNull()
  })

  it('gives the stored file a name without folders or control characters, whose extension matches its bytes', () => {
    const text = sniffFile(new TextEncoder().encode('hello'))!
    const png = sniffFile(bytes([0x89], 'PNG\r\n\x1a\n'))!
    expect(safeFileName('schema.png', png)).toBe('schema.png')
    expect(safeFileName('../../etc/schéma.PNG', png)).toBe('schéma.PNG')
    expect(safeFileName('page.html', text)).toBe('page.html.txt')
    expect(safeFileName('notes.md', text)).toBe('notes.md')
    expect(safeFileName('photo.jpg', png)).toBe('photo.jpg.png')
    expect(safeFileName('a"b\u0000\n.txt', text)).toBe('ab.txt')
    expect(safeFileName('', text)).toBe('fichier.txt')
  })
})
