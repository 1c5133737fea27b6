import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { getCourse, getLesson } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { requireTeaching } from './classes.server'
import { ClassError } from './errors'
import type { ScheduleSessionInput } from './schemas'

// Scheduled class sessions: "this class does this lesson at 9:00". Shortly before, the sandbox
// runtime warms one pooled sandbox of the lesson's layout per student who has none yet
// (lib/sandbox/session-pool.server.ts, from lib/sandbox/session-demands.server.ts); after the
// session's window the extra pool is ended.

export type ClassSessionView = { id: string; courseSlug: string; lessonSlug: string; lessonTitle: string; startsAt: Date }

/** Sessions still to come or under way (started less than `windowMinutes` ago), soonest first. */
export async function listClassSessions(classId: string, user: Pick<SessionUser, 'id' | 'role'>, windowMinutes: number, now = new Date()): Promise<ClassSessionView[]> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const rows = await db.classSession.findMany({
    where: { classroomId: classId, startsAt: { gt: new Date(now.getTime() - windowMinutes * 60_000) } },
    orderBy: { startsAt: 'asc' },
  })
  return rows.map((r) => ({
    id: r.id,
    courseSlug: r.courseSlug,
    lessonSlug: r.lessonSlug,
    lessonTitle: getLesson(r.courseSlug, r.lessonSlug)?.frontmatter?.title ?? `${r.courseSlug}/${r.lessonSlug}`,
    startsAt: r.startsAt,
  }))
}

/** Only a hands-on lesson of one of the class's courses, at a time to come. */
export async function scheduleClassSession(classId: string, user: Pick<SessionUser, 'id' | 'role'>, input: ScheduleSessionInput, now = new Date()): Promise<{ id: string }> {
  const classroom = await requireTeaching(classId, user)
  if (classroom.archivedAt) throw new ClassError('class_archived', 'this class is archived')
  if (!classroom.courses.some((c) => c.slug === input.courseSlug)) {
    throw new ClassError('unknown_course', `the class does not follow the course ${input.courseSlug}`, { field: 'lesson' })
  }
  const lesson = getLesson(input.courseSlug, input.lessonSlug)
  if (!lesson?.frontmatter?.sandbox) throw new ClassError('lesson_not_found', 'no hands-on lesson has this name in the course', { field: 'lesson' })
  const startsAt = new Date(input.startsAt)
  if (startsAt.getTime() <= now.getTime()) throw new ClassError('session_in_past', 'the session must start in the future', { field: 'startsAt' })
  const db = await getDb()
  const row = await db.classSession.create({ data: { classroomId: classId, courseSlug: input.courseSlug, lessonSlug: input.lessonSlug, startsAt, createdBy: user.id } })
  return { id: row.id }
}

export async function deleteClassSession(classId: string, user: Pick<SessionUser, 'id' | 'role'>, sessionId: string): Promise<void> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const gone = await db.classSession.deleteMany({ where: { id: sessionId, classroomId: classId } })
  if (gone.count === 0) throw new ClassError('session_not_found', 'no session of this class has this id')
}

/** The hands-on lessons a session of this class can be about (the class's courses, in order). */
export function sessionLessonChoices(courseSlugs: readonly string[]): { courseSlug: string; lessonSlug: string; title: string; courseTitle: string }[] {
  return courseSlugs.flatMap((courseSlug) => {
    const course = getCourse(courseSlug)
    if (!course) return []
    return course.lessons.filter((l) => l.frontmatter?.sandbox).map((l) => ({ courseSlug, lessonSlug: l.slug, title: l.frontmatter?.title ?? l.slug, courseTitle: course.index.title }))
  })
}
