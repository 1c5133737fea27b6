import 'server-only'
import fs from 'node:fs'
import path from 'node:path'
import { notFound } from 'next/navigation'
import { compileLesson, LessonCompileError, type CompiledLesson } from './compile.server'
import { loadContentTree, type ContentTree, type CourseRecord, type LessonRecord } from './load.server'
import { lessonWorkdir } from './paths'
import { contentRoot } from './root.server'

export type { CourseRecord, LessonRecord } from './load.server'

type CachedTree = { tree: ContentTree; stamp: string; version: number }
/** What this instance knows of the shared content version (lib/content/version.server.ts). */
type VersionState = { known: number; checkedAt: number; pending: boolean }
const globalForContent = globalThis as unknown as { quaiContent?: CachedTree; quaiContentVersion?: VersionState }

// A cheap fingerprint of the content folder: every file's path and mtime. Only computed
// outside production, where authors edit lessons while the server runs.
function contentStamp(root: string): string {
  const parts: string[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== 'workspace' && entry.name !== 'node_modules') walk(full)
      } else {
        parts.push(`${full}:${fs.statSync(full).mtimeMs}`)
      }
    }
  }
  if (fs.existsSync(root)) walk(root)
  return parts.join('|')
}

const versionCheckMs = () => Number(process.env.QUAI_CONTENT_VERSION_CHECK_MS) || 5000

function versionState(): VersionState {
  return (globalForContent.quaiContentVersion ??= { known: 0, checkedAt: 0, pending: false })
}

/**
 * Asks the database, at most every few seconds and without making the page wait, whether an
 * instructor reloaded the content: every instance follows within that delay. The module is
 * loaded on first use, so processes that never serve pages (the sandbox agent) never open
 * the database for it; a database that does not answer keeps the content as it is.
 */
function refreshKnownVersion(state: VersionState): void {
  if (state.pending || Date.now() - state.checkedAt < versionCheckMs()) return
  state.pending = true
  import('./version.server')
    .then(({ readContentVersion }) => readContentVersion())
    .then((info) => (state.known = info.version))
    .catch(() => undefined)
    .finally(() => {
      state.pending = false
      state.checkedAt = Date.now()
    })
}

export function getContentTree(): ContentTree {
  const root = contentRoot()
  const cached = globalForContent.quaiContent
  if (process.env.NODE_ENV === 'production') {
    // Walking every file on each request would cost too much: production reloads when the
    // shared content version moves (an instructor's "reload", POST /api/teach/content/reload).
    const state = versionState()
    refreshKnownVersion(state)
    if (cached && cached.version === state.known) return cached.tree
    const tree = loadContentTree(root)
    globalForContent.quaiContent = { tree, stamp: '', version: state.known }
    return tree
  }
  const stamp = contentStamp(root)
  if (cached && cached.stamp === stamp) return cached.tree
  const tree = loadContentTree(root)
  globalForContent.quaiContent = { tree, stamp, version: versionState().known }
  return tree
}

/** This instance has just moved the shared version: its next read loads the files again. */
export function contentVersionMoved(version: number): void {
  const state = versionState()
  state.known = version
  state.checkedAt = Date.now()
}

/** Courses that can be shown: a valid index. Lessons with problems are still listed, marked broken. */
export function listCourses(): (CourseRecord & { index: NonNullable<CourseRecord['index']> })[] {
  return getContentTree().courses.filter((c): c is CourseRecord & { index: NonNullable<CourseRecord['index']> } => c.index !== null)
}

export function getCourse(courseSlug: string): (CourseRecord & { index: NonNullable<CourseRecord['index']> }) | null {
  return listCourses().find((c) => c.slug === courseSlug) ?? null
}

export function requireCourse(courseSlug: string) {
  return getCourse(courseSlug) ?? notFound()
}

export function getLesson(courseSlug: string, lessonSlug: string): LessonRecord | null {
  return getCourse(courseSlug)?.lessons.find((l) => l.slug === lessonSlug) ?? null
}

/** The lesson of a "course/lesson" key (Sandbox.lessonKey), if it exists. */
export function getLessonByKey(lessonKey: string | null | undefined): LessonRecord | null {
  const [course, slug] = (lessonKey ?? '').split('/')
  return course && slug ? getLesson(course, slug) : null
}

/** The lesson's folder in the nodes (paths.ts lessonWorkdir), its course's folder when the course shares one sandbox. */
export function lessonFolder(lesson: Pick<LessonRecord, 'courseSlug' | 'slug'>): string {
  return lessonWorkdir(lesson.slug, getCourse(lesson.courseSlug)?.index.sharedSandbox ? lesson.courseSlug : null)
}

export function requireLesson(courseSlug: string, lessonSlug: string): LessonRecord {
  return getLesson(courseSlug, lessonSlug) ?? notFound()
}

export type LessonPage =
  | { ok: true; lesson: LessonRecord & { frontmatter: NonNullable<LessonRecord['frontmatter']> }; compiled: CompiledLesson }
  | { ok: false; lesson: LessonRecord; reasons: string[] }

/** The lesson with its compiled body, or the reasons it cannot be shown (never a blank page). */
export async function loadLessonPage(lesson: LessonRecord): Promise<LessonPage> {
  if (lesson.problems.length > 0 || !lesson.frontmatter) {
    return { ok: false, lesson, reasons: lesson.problems.map((p) => `${path.basename(p.file)}: ${p.field}: ${p.message}`) }
  }
  try {
    const compiled = await compileLesson(lesson.mdxPath, lesson.source)
    return { ok: true, lesson: lesson as LessonRecord & { frontmatter: NonNullable<LessonRecord['frontmatter']> }, compiled }
  } catch (error) {
    const reasons = error instanceof LessonCompileError ? error.reasons : [(error as Error).message]
    return { ok: false, lesson, reasons }
  }
}

export function neighbours(course: CourseRecord, lessonSlug: string): { previous: LessonRecord | null; next: LessonRecord | null } {
  const index = course.lessons.findIndex((l) => l.slug === lessonSlug)
  return { previous: course.lessons[index - 1] ?? null, next: course.lessons[index + 1] ?? null }
}
