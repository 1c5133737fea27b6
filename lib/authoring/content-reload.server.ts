import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { ClassError } from '../classes/errors'
import type { ContentReload } from '../classes/schemas'
import { contentVersionMoved, getContentTree } from '../content/lessons.server'
import { bumpContentVersion } from '../content/version.server'

/**
 * An instructor's "reload the content" on a production server, which otherwise keeps the
 * lesson files it loaded at start. The version lives in the database, so every web instance
 * loads the files again within a few seconds (lib/content/lessons.server.ts); this one does at once.
 */
export async function reloadContent(user: SessionUser): Promise<ContentReload> {
  if (user.role !== 'instructor') throw new ClassError('not_class_instructor', 'only instructors reload the content')
  const { version, reloadedAt } = await bumpContentVersion(user.id)
  contentVersionMoved(version)
  const lessons = getContentTree().courses.flatMap((c) => c.lessons)
  return { version, reloadedAt: reloadedAt ?? new Date().toISOString(), lessons: lessons.length, broken: lessons.filter((l) => l.problems.length > 0).length }
}
