import type { CourseRecord } from './load.server'

export type CourseSummary = { slug: string; title: string; summary: string; level?: string; lessons: number; handsOn: number; minutes: number }

export function summarizeCourse(course: CourseRecord & { index: NonNullable<CourseRecord['index']> }): CourseSummary {
  return {
    slug: course.slug,
    title: course.index.title,
    summary: course.index.summary,
    level: course.index.level,
    lessons: course.lessons.length,
    handsOn: course.lessons.filter((l) => l.frontmatter?.sandbox).length,
    minutes: course.lessons.reduce((sum, l) => sum + (l.frontmatter?.duration ?? 0), 0),
  }
}
