import 'server-only'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { checkPatterns } from './check-patterns'
import { catastrophicBacktracking } from '../text/backtracking.server'
import { safeRegexProblem } from '../text/safe-regex'
import { compileLesson, LessonCompileError } from './compile.server'
import { exerciseRegistryOnlyProblems, loadImageCatalog, normalizeImageName, sandboxImageProblems, workspaceTexts, type ImageCatalog } from './image-catalog.server'
import { allProblems, resolveLessonRef, type ContentTree, type LessonRecord } from './load.server'
import { withExerciseId, type ContentProblem } from './problems'
import { lessonWorkspace, overlayWorkspace } from './workspace'
import { imageMentions, isPinnedFamily, unpinnedImages, type ImageMention } from './pinned-images'

/** A project: a course whose lessons share one sandbox (course.yaml sharedSandbox), its milestones graded. */
export type ProjectSummary = { slug: string; lessons: number; exercises: number; openQuestions: number }
export type ContentSummary = { courses: number; lessons: number; exercises: number; questions: number; openQuestions: number; projects: ProjectSummary[] }
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

/**
 * Where a lesson's workspace folders meet: a file and a folder at the same path cannot both be
 * seeded, and a file of the lesson that is the same as the shared one it replaces is a copy to delete.
 */
function workspaceOverlayProblems(tree: ContentTree, lesson: LessonRecord): ContentProblem[] {
  const at = (full: string) => path.relative(tree.root, full)
  return overlayWorkspace(lesson.workspaceFolders).overrides.flatMap(({ rel, over, by }): ContentProblem[] => {
    if (over.kind !== by.kind) {
      return [{ file: lesson.mdxPath, field: 'sharedWorkspace', message: `"${rel}" is a ${over.kind === 'dir' ? 'folder' : 'file'} in ${at(over.full)} but a ${by.kind === 'dir' ? 'folder' : 'file'} in ${at(by.full)}: one path cannot be both` }]
    }
    if (fs.readFileSync(over.full).equals(fs.readFileSync(by.full))) {
      return [{ file: lesson.mdxPath, field: 'sharedWorkspace', message: `${at(by.full)} is the same as ${at(over.full)}, which the lesson already gets: delete the copy` }]
    }
    return []
  })
}

/** The exercise ids of an exercises.yaml as written, by index: also when the file does not validate. */
function writtenExerciseIds(file: string): (string | undefined)[] {
  let raw: unknown
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return []
  }
  const exercises = (raw as { exercises?: unknown } | null)?.exercises
  if (!Array.isArray(exercises)) return []
  return exercises.map((e) => {
    const id = (e as { id?: unknown } | null)?.id
    return typeof id === 'string' && id ? id : undefined
  })
}

const exercisesFileOf = (lesson: LessonRecord) => path.join(lesson.dir, 'exercises.yaml')

const fieldPath = (parts: (string | number)[]) => parts.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '')

/**
 * Every author pattern of a lesson that loaded: refused when it can backtrack catastrophically,
 * and for quizzes (whose schema only asks JavaScript) when RE2 cannot run it. Patterns in
 * checks that RE2 cannot run already failed their schema (lib/content/check-kinds.ts).
 */
function patternProblems(lesson: LessonRecord): ContentProblem[] {
  const found: { file: string; field: (string | number)[]; pattern: string; flags: string; re2: boolean }[] = []
  lesson.exercises.forEach((exercise, i) =>
    exercise.checks.forEach((check, j) => {
      for (const p of checkPatterns(check)) found.push({ file: exercisesFileOf(lesson), field: ['exercises', i, 'checks', j, ...p.path], pattern: p.pattern, flags: p.flags, re2: false })
    }),
  )
  lesson.quiz?.questions.forEach((question, i) => {
    if (question.type !== 'short') return
    question.accept.forEach((rule, j) => {
      if ('pattern' in rule) {
        found.push({ file: path.join(lesson.dir, 'quiz.yaml'), field: ['questions', i, 'accept', j, 'pattern'], pattern: rule.pattern, flags: question.caseSensitive ? '' : 'i', re2: true })
      }
    })
  })
  return found.flatMap(({ file, field, pattern, flags, re2 }) => {
    const unsupported = re2 ? safeRegexProblem(pattern, flags) : null
    if (unsupported) return [{ file, field: fieldPath(field), message: `invalid regular expression /${pattern}/${flags}: ${unsupported}` }]
    const catastrophic = catastrophicBacktracking(pattern, flags)
    return catastrophic ? [{ file, field: fieldPath(field), message: `pattern /${pattern}/${flags} ${catastrophic}` }] : []
  })
}

/** Where the lesson's text, its exercises' scripts and its workspace files start an image. */
function lessonImageMentions(lesson: LessonRecord): { file: string; field: (line: number) => string; mentions: ImageMention[] }[] {
  const sources = [{ file: lesson.mdxPath, field: (line: number) => `line ${line}`, mentions: imageMentions(lesson.source) }]
  const exercisesFile = exercisesFileOf(lesson)
  if (fs.existsSync(exercisesFile)) {
    const text = fs.readFileSync(exercisesFile, 'utf8')
    const lines = new YAML.LineCounter()
    const doc = YAML.parseDocument(text, { lineCounter: lines })
    const exercises = doc.get('exercises')
    if (YAML.isSeq(exercises)) {
      exercises.items.forEach((exercise, i) => {
        if (!YAML.isMap(exercise)) return
        // Checks are left out: their `image:` is what a container must run, where any tag matches.
        for (const key of ['instructions', 'hints', 'solution', 'setup']) {
          const node = exercise.get(key, true) as YAML.Node | undefined
          const nodes = YAML.isSeq(node) ? node.items : [node]
          nodes.forEach((n, j) => {
            if (!YAML.isScalar(n) || !n.range) return
            const at = `exercises[${i}].${key}${YAML.isSeq(node) ? `[${j}]` : ''}`
            const mentions = imageMentions(text.slice(n.range[0], n.range[1]), lines.linePos(n.range[0]).line)
            sources.push({ file: exercisesFile, field: (line) => `${at}, line ${line}`, mentions })
          })
        }
      })
    }
  }
  for (const entry of lessonWorkspace(lesson)) {
    if (entry.kind !== 'file' || fs.statSync(entry.full).size > 256 * 1024) continue
    const text = fs.readFileSync(entry.full, 'utf8')
    if (!text.includes('\u0000')) sources.push({ file: entry.full, field: (line) => `line ${line}`, mentions: imageMentions(text) })
  }
  return sources
}

function unpinnedImageProblems(lesson: LessonRecord, catalog: ImageCatalog): ContentProblem[] {
  const servedTags = (repository: string) => [...catalog.offline].filter((name) => name.startsWith(`${repository}:`)).map((name) => name.slice(repository.length + 1))
  const declared = new Set((lesson.frontmatter?.sandbox?.images ?? []).map(normalizeImageName))
  return lessonImageMentions(lesson).flatMap(({ file, field, mentions }) => {
    const unpinned = unpinnedImages(mentions, servedTags)
    const problems: ContentProblem[] = unpinned.map((u) => ({
      file,
      field: field(u.line),
      message: `image "${u.image}" must name the version the sandbox serves (${u.served.map((t) => `${u.repository}:${t}`).join(' or ') || 'none: add one to images/catalog.txt'}): its latest tag moves to new major versions that break the lesson at home (postgres:18 refuses a volume on /var/lib/postgresql/data)`,
    }))
    // A pinned image the lesson starts is one its sandbox needs: hosts are chosen, and the
    // solvability test loads images, by sandbox.images.
    for (const m of mentions) {
      if (unpinned.some((u) => u.line === m.line && u.image === m.image) || !isPinnedFamily(m.image)) continue
      if (!declared.has(normalizeImageName(m.image))) problems.push({ file, field: field(m.line), message: `image "${m.image}" is not in the lesson's sandbox.images: add it there` })
    }
    return problems
  })
}

async function lessonProblems(tree: ContentTree, lesson: LessonRecord, catalog: ImageCatalog, idsOf: (file: string) => (string | undefined)[]): Promise<ContentProblem[]> {
  const problems: ContentProblem[] = []
  const file = lesson.mdxPath
  for (const [i, ref] of (lesson.frontmatter?.prerequisites ?? []).entries()) {
    if (!resolveLessonRef(tree, lesson.courseSlug, ref)) {
      problems.push({ file, field: `prerequisites[${i}]`, message: `no lesson "${ref}"` })
    }
  }
  problems.push(...patternProblems(lesson))
  if (!lesson.frontmatter) return problems
  if (lesson.frontmatter.sandbox) problems.push(...sandboxImageProblems(file, lesson.frontmatter.sandbox, catalog))
  problems.push(...workspaceOverlayProblems(tree, lesson))
  problems.push(...unpinnedImageProblems(lesson, catalog))
  const exercisesFile = exercisesFileOf(lesson)
  if (lesson.exercises.some((e) => e.registryOnly?.length)) {
    const workspace = workspaceTexts(lessonWorkspace(lesson))
    problems.push(...exerciseRegistryOnlyProblems(exercisesFile, { sandbox: lesson.frontmatter.sandbox, exercises: lesson.exercises, workspace }, catalog))
  }
  // An exercises.yaml with problems is not loaded at all: its exercises are reported there,
  // not once more as missing wherever the MDX places them.
  const unloaded = lesson.problems.some((p) => p.file === exercisesFile) ? idsOf(exercisesFile) : []
  try {
    const compiled = await compileLesson(file, lesson.source)
    for (const id of compiled.exerciseRefs) {
      if (!lesson.exercises.some((e) => e.id === id) && !unloaded.includes(id)) {
        problems.push({ file, field: `<Exercise id="${id}">`, message: 'no exercise with this id in exercises.yaml' })
      }
    }
    // An exercise the text never places is never shown to learners, yet the lesson cannot be
    // completed without it.
    const placed = new Set(compiled.exerciseRefs)
    lesson.exercises.forEach((exercise, i) => {
      if (!placed.has(exercise.id)) {
        problems.push({ file: exercisesFile, field: `exercises[${i}]`, message: `exercise "${exercise.id}" is placed nowhere in ${path.basename(file)}: add <Exercise id="${exercise.id}" /> where it fits in the text, or remove it` })
      }
    })
    // The same two rules for open questions: each placed once in the text, each placement defined.
    const openFile = path.join(lesson.dir, 'open-questions.yaml')
    const openUnloaded = lesson.problems.some((p) => p.file === openFile)
    const openPlaced = new Map<string, number>()
    for (const id of compiled.openQuestionRefs) {
      openPlaced.set(id, (openPlaced.get(id) ?? 0) + 1)
      if (!lesson.openQuestions.some((q) => q.id === id) && !openUnloaded) {
        problems.push({ file, field: `<OpenQuestion id="${id}">`, message: `no open question with this id in ${path.basename(openFile)}` })
      }
    }
    lesson.openQuestions.forEach((question, i) => {
      const times = openPlaced.get(question.id) ?? 0
      if (times === 0) problems.push({ file: openFile, field: `questions[${i}]`, message: `open question "${question.id}" is placed nowhere in ${path.basename(file)}: add <OpenQuestion id="${question.id}" /> where it fits in the text, or remove it` })
      if (times > 1) problems.push({ file, field: `<OpenQuestion id="${question.id}">`, message: `placed ${times} times: a learner has one answer per question, place it once` })
    })
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
  const found = [...allProblems(tree)]
  const lessons = tree.courses.flatMap((c) => c.lessons)
  const catalog = loadImageCatalog()
  const ids = new Map<string, (string | undefined)[]>()
  const idsOf = (file: string) => ids.get(file) ?? ids.set(file, writtenExerciseIds(file)).get(file)!
  for (const lesson of lessons) found.push(...(await lessonProblems(tree, lesson, catalog, idsOf)))
  const byMdx = new Map(lessons.map((l) => [l.mdxPath, l]))
  const seen = new Set<string>()
  const unique = found.filter((p) => {
    const key = `${p.file}\u0000${p.field}\u0000${p.message}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
  const problems = unique.map((problem) => {
    // Every problem in an exercises file names its exercise by id as well as by index.
    if (path.basename(problem.file) === 'exercises.yaml') return { ...problem, field: withExerciseId(problem.field, idsOf(problem.file)) }
    const lesson = byMdx.get(problem.file)
    if (problem.field === 'sandbox' && lesson?.frontmatter && !lesson.frontmatter.sandbox && lesson.exercises.length > 0) {
      const list = lesson.exercises.map((e, i) => `exercises[${i}] (${e.id})`).join(', ')
      return { ...problem, message: `${problem.message}: ${path.basename(exercisesFileOf(lesson))} has ${list}` }
    }
    return problem
  })
  return {
    problems,
    summary: {
      courses: tree.courses.length,
      ...workOf(lessons),
      questions: lessons.reduce((n, l) => n + (l.quiz?.questions.length ?? 0), 0),
      projects: tree.courses.filter((c) => c.index?.sharedSandbox).map((c) => ({ slug: c.slug, ...workOf(c.lessons) })),
    },
  }
}

/** How many lessons, exercises and open questions `lessons` hold. */
const workOf = (lessons: LessonRecord[]) => ({
  lessons: lessons.length,
  exercises: lessons.reduce((n, l) => n + l.exercises.length, 0),
  openQuestions: lessons.reduce((n, l) => n + l.openQuestions.length, 0),
})

export const summaryLine = (s: ContentSummary) =>
  [
    `content: ${s.courses} courses, ${s.lessons} lessons, ${s.exercises} exercises, ${s.questions} quiz questions, ${s.openQuestions} open questions`,
    ...s.projects.map((p) => `  project ${p.slug}: ${p.lessons} lessons, ${p.exercises} graded exercises, ${p.openQuestions} open questions`),
  ].join('\n')
