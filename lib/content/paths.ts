import path from 'node:path'

// Where content lives (contentRoot: root.server.ts) and the paths derived from it.

export const coursesDir = (contentDir: string) => path.join(contentDir, 'courses')
/** Starter folders that lessons of any course name in their frontmatter's `sharedWorkspace`. */
export const sharedDir = (contentDir: string) => path.join(contentDir, 'shared')
export const lessonKey = (courseSlug: string, lessonSlug: string) => `${courseSlug}/${lessonSlug}`
export const lessonHref = (courseSlug: string, lessonSlug: string) => `/courses/${courseSlug}/${lessonSlug}`
export const courseHref = (courseSlug: string) => `/courses/${courseSlug}`

/** Inside a sandbox node: the learner's lab folder, and one folder per lesson in it. */
export const labRoot = '/root/lab'
export const lessonWorkdir = (lessonSlug: string) => `${labRoot}/${lessonSlug}`

/** Browser event that code blocks send to the lesson's terminal: paste `text`, and press Enter if `run`. */
export const terminalInputEvent = 'quai:terminal-input'
export type TerminalInputDetail = { text: string; run: boolean; node?: string }
