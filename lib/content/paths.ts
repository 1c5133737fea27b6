import path from 'node:path'

// Where content lives (contentRoot: root.server.ts) and the paths derived from it.

export const coursesDir = (contentDir: string) => path.join(contentDir, 'courses')
/** Starter folders that lessons of any course name in their frontmatter's `sharedWorkspace`. */
export const sharedDir = (contentDir: string) => path.join(contentDir, 'shared')
export const lessonKey = (courseSlug: string, lessonSlug: string) => `${courseSlug}/${lessonSlug}`
export const lessonHref = (courseSlug: string, lessonSlug: string) => `/courses/${courseSlug}/${lessonSlug}`
export const courseHref = (courseSlug: string) => `/courses/${courseSlug}`

/** Inside a sandbox node: the learner's lab folder. */
export const labRoot = '/root/lab'
/**
 * The folder a lesson works in, inside every node: the one rule, used by seeding, the terminal,
 * checks, solution runs and downloads. A lesson has its own folder, named after it, except in a
 * course whose lessons share one sandbox (course.yaml `sharedSandbox: true`): such a course is
 * one project carried from lesson to lesson, so all its lessons work in one folder named after
 * the course. `sharedCourse` is that course's slug, or null/undefined for any other lesson
 * (lessons.server.ts `lessonFolder` fills it in from a lesson record).
 */
export const lessonWorkdir = (lessonSlug: string, sharedCourse?: string | null) => `${labRoot}/${sharedCourse ?? lessonSlug}`

/** Browser event that code blocks send to the lesson's terminal: paste `text`, and press Enter if `run`. */
export const terminalInputEvent = 'quai:terminal-input'
export type TerminalInputDetail = { text: string; run: boolean; node?: string }
