// No `server-only` marker: the end-to-end tests read the content tree with this module too
// (outside Next). It reads files with node:fs, so no client bundle could include it anyway.
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import type { z } from 'zod'
import { openQuestionsFileSchema, type OpenQuestion } from './open-questions'
import { problemsFromZod, type ContentProblem } from './problems'
import { coursesDir, lessonKey, sharedDir } from './paths'
import {
  courseIndexSchema,
  exercisesFileSchema,
  lessonFrontmatterSchema,
  quizSchema,
  slug as slugSchema,
  type CourseIndex,
  type Exercise,
  type LessonFrontmatter,
  type Quiz,
} from './schema'

export type LessonRecord = {
  key: string
  courseSlug: string
  slug: string
  dir: string
  mdxPath: string
  /** Null when the frontmatter is missing or invalid; `problems` says why. */
  frontmatter: LessonFrontmatter | null
  /** The whole MDX source, frontmatter included (so compile errors keep the file's line numbers). */
  source: string
  quiz: Quiz | null
  exercises: Exercise[]
  /** open-questions.yaml: answers graded by the class's instructors (lib/open-questions/). */
  openQuestions: OpenQuestion[]
  /**
   * The folders whose files the lesson seeds, in order, later ones winning: its shared starter
   * folders (content/shared/<name>), then its own workspace/. Read with lessonWorkspace (./workspace).
   */
  workspaceFolders: string[]
  problems: ContentProblem[]
}

export type CourseRecord = {
  slug: string
  dir: string
  indexPath: string
  index: CourseIndex | null
  lessons: LessonRecord[]
  problems: ContentProblem[]
}

export type ContentTree = { root: string; courses: CourseRecord[] }

type Parsed<T> = { value: T | null; problems: ContentProblem[] }

function parseYamlFile<T>(file: string, schema: z.ZodType<T>, text?: string): Parsed<T> {
  let raw: unknown
  try {
    raw = YAML.parse(text ?? fs.readFileSync(file, 'utf8'), { prettyErrors: true })
  } catch (error) {
    return { value: null, problems: [{ file, field: '(yaml)', message: (error as Error).message.split('\n')[0] ?? 'invalid YAML' }] }
  }
  const result = schema.safeParse(raw ?? {})
  return result.success ? { value: result.data, problems: [] } : { value: null, problems: problemsFromZod(file, result.error) }
}

const frontmatterPattern = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/

export function splitFrontmatter(source: string): { frontmatter: string | null; body: string } {
  const match = frontmatterPattern.exec(source)
  if (!match) return { frontmatter: null, body: source }
  return { frontmatter: match[1] ?? '', body: source.slice(match[0].length) }
}

const isDirectory = (dir: string) => fs.existsSync(dir) && fs.statSync(dir).isDirectory()

export function loadLesson(courseSlug: string, lessonSlug: string, dir: string, contentDir: string): LessonRecord {
  const mdxPath = path.join(dir, 'lesson.mdx')
  const problems: ContentProblem[] = []
  const record: LessonRecord = {
    key: lessonKey(courseSlug, lessonSlug),
    courseSlug,
    slug: lessonSlug,
    dir,
    mdxPath,
    frontmatter: null,
    source: '',
    quiz: null,
    exercises: [],
    openQuestions: [],
    workspaceFolders: [],
    problems,
  }
  if (!fs.existsSync(mdxPath)) {
    problems.push({ file: mdxPath, field: '(file)', message: 'lesson.mdx is missing' })
    return record
  }
  record.source = fs.readFileSync(mdxPath, 'utf8')
  const { frontmatter } = splitFrontmatter(record.source)
  if (frontmatter === null) {
    problems.push({ file: mdxPath, field: '(frontmatter)', message: 'the file must start with a --- YAML frontmatter block ---' })
  } else {
    const parsed = parseYamlFile(mdxPath, lessonFrontmatterSchema, frontmatter)
    record.frontmatter = parsed.value
    problems.push(...parsed.problems)
  }

  const quizPath = path.join(dir, 'quiz.yaml')
  if (fs.existsSync(quizPath)) {
    const parsed = parseYamlFile(quizPath, quizSchema)
    record.quiz = parsed.value
    problems.push(...parsed.problems)
  }

  const exercisesPath = path.join(dir, 'exercises.yaml')
  if (fs.existsSync(exercisesPath)) {
    const parsed = parseYamlFile(exercisesPath, exercisesFileSchema)
    record.exercises = parsed.value?.exercises ?? []
    problems.push(...parsed.problems)
    if (parsed.value && record.frontmatter && !record.frontmatter.sandbox) {
      problems.push({ file: mdxPath, field: 'sandbox', message: 'this lesson has exercises, so its frontmatter needs a sandbox block' })
    }
    const nodes = record.frontmatter?.sandbox?.nodes.map((n) => n.name) ?? []
    record.exercises.forEach((exercise, i) => {
      const targets = [
        { field: `exercises[${i}].node`, node: exercise.node },
        ...exercise.checks.map((check, j) => ({ field: `exercises[${i}].checks[${j}].node`, node: check.node })),
      ]
      for (const { field, node } of targets) {
        if (node && nodes.length > 0 && !nodes.includes(node)) {
          problems.push({ file: exercisesPath, field, message: `exercise "${exercise.id}": node "${node}" is not one of the lesson's sandbox nodes (${nodes.join(', ')})` })
        }
      }
    })
  }

  const openQuestionsPath = path.join(dir, 'open-questions.yaml')
  if (fs.existsSync(openQuestionsPath)) {
    const parsed = parseYamlFile(openQuestionsPath, openQuestionsFileSchema)
    record.openQuestions = parsed.value?.questions ?? []
    problems.push(...parsed.problems)
  }

  record.frontmatter?.sharedWorkspace.forEach((name, i) => {
    const folder = path.join(sharedDir(contentDir), name)
    if (isDirectory(folder)) record.workspaceFolders.push(folder)
    else problems.push({ file: mdxPath, field: `sharedWorkspace[${i}]`, message: `no shared folder "${name}": ${path.relative(process.cwd(), folder)}/ does not exist` })
  })
  const workspaceDir = path.join(dir, 'workspace')
  if (isDirectory(workspaceDir)) record.workspaceFolders.push(workspaceDir)
  return record
}

export function loadCourse(courseSlug: string, dir: string, contentDir: string): CourseRecord {
  const indexPath = path.join(dir, 'course.yaml')
  const course: CourseRecord = { slug: courseSlug, dir, indexPath, index: null, lessons: [], problems: [] }
  if (!slugSchema.safeParse(courseSlug).success) {
    course.problems.push({ file: dir, field: '(folder name)', message: 'a course folder name must be lower-case words joined by "-"' })
  }
  if (!fs.existsSync(indexPath)) {
    course.problems.push({ file: indexPath, field: '(file)', message: 'course.yaml is missing' })
    return course
  }
  const parsed = parseYamlFile(indexPath, courseIndexSchema)
  course.index = parsed.value
  course.problems.push(...parsed.problems)
  if (!course.index) return course

  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
  course.index.lessons.forEach((lessonSlug, i) => {
    if (course.index!.lessons.indexOf(lessonSlug) !== i) {
      course.problems.push({ file: indexPath, field: `lessons[${i}]`, message: `"${lessonSlug}" is listed twice` })
      return
    }
    if (!folders.includes(lessonSlug)) {
      course.problems.push({ file: indexPath, field: `lessons[${i}]`, message: `no folder ${lessonSlug}/ in this course` })
      return
    }
    course.lessons.push(loadLesson(courseSlug, lessonSlug, path.join(dir, lessonSlug), contentDir))
  })
  for (const folder of folders) {
    if (!course.index.lessons.includes(folder) && fs.existsSync(path.join(dir, folder, 'lesson.mdx'))) {
      course.problems.push({ file: indexPath, field: 'lessons', message: `the lesson folder ${folder}/ is not listed` })
    }
  }
  if (course.index.sharedSandbox) course.problems.push(...sharedSandboxProblems(course))
  return course
}

/** A course whose lessons share one sandbox: its hands-on lessons must ask for the same nodes (docs/persistence.md). */
function sharedSandboxProblems(course: CourseRecord): ContentProblem[] {
  const layout = (lesson: LessonRecord) => lesson.frontmatter?.sandbox?.nodes.map((n) => `${n.name}=${n.role}`).join(',')
  const handsOn = course.lessons.filter((l) => layout(l) !== undefined)
  const first = handsOn[0]
  if (!first) return []
  return handsOn
    .filter((l) => layout(l) !== layout(first))
    .map((l) => ({
      file: path.join(l.dir, 'lesson.mdx'),
      field: 'sandbox.nodes',
      message: `the course shares one sandbox (sharedSandbox: true in course.yaml), so every hands-on lesson needs the nodes of ${first.slug} (${layout(first)}), not ${layout(l)}`,
    }))
}

/** Reads and validates every course and lesson file (not the MDX bodies: see compile.server.ts). */
export function loadContentTree(root: string): ContentTree {
  const dir = coursesDir(root)
  if (!fs.existsSync(dir)) return { root, courses: [] }
  const courses = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => loadCourse(d.name, path.join(dir, d.name), root))
  courses.sort((a, b) => (a.index?.order ?? 1e9) - (b.index?.order ?? 1e9) || a.slug.localeCompare(b.slug))
  return { root, courses }
}

/** Resolves a prerequisite or link target ("lesson" in the same course, or "course/lesson"). */
export function resolveLessonRef(tree: ContentTree, fromCourse: string, ref: string): LessonRecord | null {
  const [courseSlug, lessonSlug] = ref.includes('/') ? ref.split('/') : [fromCourse, ref]
  return tree.courses.find((c) => c.slug === courseSlug)?.lessons.find((l) => l.slug === lessonSlug) ?? null
}

export function allProblems(tree: ContentTree): ContentProblem[] {
  return tree.courses.flatMap((c) => [...c.problems, ...c.lessons.flatMap((l) => l.problems)])
}
