import 'server-only'
import { getLesson } from '../content/lessons.server'
import { getDb } from '../db/client.server'

// What scheduled class sessions ask of the warm pool (session-pool.server.ts). The sessions
// themselves are scheduled in lib/classes/sessions.server.ts; this reads their rows, so that
// the sandbox runtime needs nothing from lib/classes, which sits above it.

export type SessionDemand = { sessionId: string; courseSlug: string; lessonSlug: string; nodes: { name: string; role: string }[]; studentsWithoutSandbox: number }

/**
 * The sessions whose sandboxes should be warm at `now` (from `leadMinutes` before the start to
 * `windowMinutes` after it), each with the lesson's nodes and how many of the class's students
 * have no live sandbox yet (a claim from the pool makes the student its owner, so the demand
 * falls as the pool empties).
 */
export async function sessionDemands(now: Date, leadMinutes: number, windowMinutes: number): Promise<SessionDemand[]> {
  const db = await getDb()
  const sessions = await db.classSession.findMany({
    where: { startsAt: { lte: new Date(now.getTime() + leadMinutes * 60_000), gt: new Date(now.getTime() - windowMinutes * 60_000) }, classroom: { archivedAt: null } },
    select: { id: true, classroomId: true, courseSlug: true, lessonSlug: true },
  })
  const demands: SessionDemand[] = []
  for (const s of sessions) {
    const sandbox = getLesson(s.courseSlug, s.lessonSlug)?.frontmatter?.sandbox
    if (!sandbox) continue
    const studentsWithoutSandbox = await db.classroomMember.count({
      where: { classroomId: s.classroomId, user: { sandboxes: { none: { status: { in: ['starting', 'running'] } } } } },
    })
    demands.push({ sessionId: s.id, courseSlug: s.courseSlug, lessonSlug: s.lessonSlug, nodes: sandbox.nodes, studentsWithoutSandbox })
  }
  return demands
}
