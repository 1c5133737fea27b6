// A course whose lessons share one kept sandbox (course.yaml sharedSandbox: true,
// docs/persistence.md): content:check names each hands-on lesson whose nodes differ from the
// first one's; a course that does not share is free to vary.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadContentTree } from '@/lib/content/load.server'
import { lessonWorkdir } from '@/lib/content/paths'
import { formatProblem } from '@/lib/content/problems'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-shared-sandbox-'))

function lesson(course: string, slug: string, nodes: string | null) {
  const dir = path.join(root, 'courses', course, slug)
  fs.mkdirSync(dir, { recursive: true })
  const sandbox = nodes === null ? '' : `sandbox:\n  nodes:\n${nodes}`
  fs.writeFileSync(path.join(dir, 'lesson.mdx'), `---\ntitle: Leçon ${slug}\nsummary: Une leçon pour le test du bac à sable partagé.\nduration: 10\nobjectives: [Tester]\n${sandbox}---\n\nTexte.\n`)
}

function course(slug: string, shared: boolean, lessons: string[]) {
  fs.mkdirSync(path.join(root, 'courses', slug), { recursive: true })
  fs.writeFileSync(path.join(root, 'courses', slug, 'course.yaml'), `title: Cours ${slug}\nsummary: Un cours pour le test du bac à sable partagé.\norder: 1\nsharedSandbox: ${shared}\nlessons: [${lessons.join(', ')}]\n`)
}

afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('a course whose lessons share one sandbox', () => {
  const single = '    - name: node1\n'
  const swarm = '    - name: manager\n      role: manager\n    - name: worker1\n      role: worker\n'
  course('projet', true, ['un', 'lecture', 'deux', 'trois'])
  lesson('projet', 'un', single)
  lesson('projet', 'lecture', null)
  lesson('projet', 'deux', single)
  lesson('projet', 'trois', swarm)
  course('libre', false, ['a', 'b'])
  lesson('libre', 'a', single)
  lesson('libre', 'b', swarm)

  it('names the hands-on lesson whose nodes differ, and only in a course that shares', () => {
    const tree = loadContentTree(root)
    const problems = tree.courses.flatMap((c) => c.problems).map((p) => formatProblem(p, root))
    expect(problems).toEqual([
      'courses/projet/trois/lesson.mdx: sandbox.nodes: the course shares one sandbox (sharedSandbox: true in course.yaml), so every hands-on lesson needs the nodes of un (node1=standalone), not manager=manager,worker1=worker',
    ])
  })
})

describe('the folder a lesson works in', () => {
  it('is the lesson\'s own by default, the course\'s for every lesson of a course that shares', async () => {
    expect(lessonWorkdir('a')).toBe('/root/lab/a')
    expect(lessonWorkdir('a', null)).toBe('/root/lab/a')
    expect(lessonWorkdir('deux', 'projet')).toBe('/root/lab/projet')
    // lessonFolder reads the course's sharedSandbox from the content tree.
    const previous = process.env.QUAI_CONTENT_DIR
    process.env.QUAI_CONTENT_DIR = root
    try {
      const { getLesson, lessonFolder } = await import('@/lib/content/lessons.server')
      expect(lessonFolder(getLesson('projet', 'un')!)).toBe('/root/lab/projet')
      expect(lessonFolder(getLesson('projet', 'deux')!)).toBe('/root/lab/projet')
      expect(lessonFolder(getLesson('libre', 'a')!)).toBe('/root/lab/a')
      expect(lessonFolder(getLesson('libre', 'b')!)).toBe('/root/lab/b')
    } finally {
      if (previous === undefined) delete process.env.QUAI_CONTENT_DIR
      else process.env.QUAI_CONTENT_DIR = previous
    }
  })
})
