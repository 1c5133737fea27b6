import 'server-only'
import { compileLesson, LessonCompileError } from './compile.server'
import { loadImageCatalog, sandboxImageProblems, type ImageCatalog } from './image-catalog.server'
import { allProblems, resolveLessonRef, type ContentTree, type LessonRecord } from './load.server'
import type { ContentProblem } from './problems'

export type ContentSummary = { courses: number; lessons: number; exercises: number; questions: number }
export type ContentReport = { problems: ContentProblem[]; summary: ContentSummary }

/** Where an internal link points, or null for external links and anchors. */
function internalTarget(lesson: LessonRecord, href: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href.startsWith('//')) return null
  const clean = href.split('#')[0]!.split('?')[0]!.replace(/\/$/, '')
  const absolute = /^\/courses\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/.exec(clean)
  if (absolute) return absolute[2] ? `${absolute[1]}/${absolute[2]}` : `${absolute[1]}`
  const sibling = /^\.\.\/([a-z0-9-]+)$/.exec(clean)
  if (sibling) return `${lesson.courseSlug}/${sibling[1]}`
  if (clean.startsWith('/')) return null
  return `!${href}`
}

async function lessonProblems(tree: ContentTree, lesson: LessonRecord, catalog: ImageCatalog): Promise<ContentProblem[]> {
  const problems: ContentProblem[] = []
  const file = lesson.mdxPath
  for (const [i, ref] of (lesson.frontmatter?.prerequisites ?? []).entries()) {
    if (!resolveLessonRef(tree, lesson.courseSlug, ref)) {
      problems.push({ file, field: `prerequisites[${i}]`, message: `no lesson "${ref}"` })
    }
  }
  if (!lesson.frontmatter) return problems
  if (lesson.frontmatter.sandbox) problems.push(...sandboxImageProblems(file, lesson.frontmatter.sandbox, catalog))
  try {
    const compiled = await compileLesson(file, lesson.source)
    for (const id of compiled.exerciseRefs) {
      if (!lesson.exercises.some((e) => e.id === id)) {
        problems.push({ file, field: `<Exercise id="${id}">`, message: 'no exercise with this id in exercises.yaml' })
      }
    }
    for (const href of compiled.links) {
      const target = internalTarget(lesson, href)
      if (target === null) continue
      const known = target.includes('/')
        ? resolveLessonRef(tree, lesson.courseSlug, target)
        : tree.courses.some((c) => c.slug === target && c.index)
      if (target.startsWith('!') || !known) {
        problems.push({ file, field: `link ${href}`, message: 'internal link to a lesson or course that does not exist (use /courses/<course>/<lesson> or ../<lesson>)' })
      }
    }
  } catch (error) {
    const reasons = error instanceof LessonCompileError ? error.reasons : [(error as Error).message]
    problems.push(...reasons.map((message) => ({ file, field: '(mdx)', message })))
  }
  return problems
}

/** Everything `npm run content:check` and the production build verify. */
export async function validateContent(tree: ContentTree): Promise<ContentReport> {
  const problems = [...allProblems(tree)]
  const lessons = tree.courses.flatMap((c) => c.lessons)
  const catalog = loadImageCatalog()
  for (const lesson of lessons) problems.push(...(await lessonProblems(tree, lesson, catalog)))
  return {
    problems,
    summary: {
      courses: tree.courses.length,
      lessons: lessons.length,
      exercises: lessons.reduce((n, l) => n + l.exercises.length, 0),
      questions: lessons.reduce((n, l) => n + (l.quiz?.questions.length ?? 0), 0),
    },
  }
}

export const summaryLine = (s: ContentSummary) =>
  `content: ${s.courses} courses, ${s.lessons} lessons, ${s.exercises} exercises, ${s.questions} quiz questions`
