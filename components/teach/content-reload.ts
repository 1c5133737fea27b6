/**
 * Whether a change reported by /api/teach/content-events concerns a page: any file of the
 * lesson (paths are relative to content/, e.g. "courses/demo/labo/lesson.mdx"), or a
 * course.yaml. Without a lesson, every change does.
 */
export function changeAffects(files: readonly string[], lessonKey?: string): boolean {
  if (!lessonKey) return true
  return files.some((f) => f.includes(`courses/${lessonKey}/`) || f.endsWith('course.yaml'))
}
