import 'server-only'
import { createHash } from 'node:crypto'
import type { Db } from '../db/client.server'
import { foldAttempt, tallyRows, withAttempts, type AttemptAgg, type AttemptTally, type FailureRow } from './aggregate'
import { loadTally } from './failures.server'

// Check-run statistics of a class, kept in memory and brought up to date incrementally.
//
// The first look at a class counts every run in the database (loadTally: one JSON query).
// Later looks read only the runs recorded since, through the (courseSlug, createdAt) index.
// Runs older than `settleMs` are folded in for good; newer ones are added to a copy for this
// answer only and read again next time, because a run's createdAt is set before its
// transaction commits, so a run may appear a little after later ones. Membership or course
// changes start over. Each server instance keeps its own state; the counts are exact in all
// cases, the state only saves work.

const settleMs = 60_000
const maxClasses = 64

type Entry = { fingerprint: string; settledUntil: Date; tally: AttemptTally; usedAt: number }

const globalForTally = globalThis as unknown as { quaiClassTally?: Map<string, Entry>; quaiClassTallyQueues?: Map<string, Promise<unknown>> }
const entries = (globalForTally.quaiClassTally ??= new Map<string, Entry>())
const queues = (globalForTally.quaiClassTallyQueues ??= new Map<string, Promise<unknown>>())

function fingerprintOf(memberIds: readonly string[], courseSlugs: readonly string[]): string {
  return createHash('sha1').update([...memberIds].sort().join(',')).update('|').update([...courseSlugs].sort().join(',')).digest('hex')
}

function evictOldest(): void {
  if (entries.size < maxClasses) return
  const oldest = [...entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0]
  if (oldest) entries.delete(oldest[0])
}

async function refresh(db: Db, classId: string, memberIds: readonly string[], courseSlugs: readonly string[], now: Date): Promise<AttemptTally> {
  const fingerprint = fingerprintOf(memberIds, courseSlugs)
  let entry = entries.get(classId)
  const settleAt = new Date(now.getTime() - settleMs)
  if (!entry || entry.fingerprint !== fingerprint) {
    evictOldest()
    entry = { fingerprint, settledUntil: settleAt, tally: await loadTally(db, classId, memberIds, courseSlugs, settleAt), usedAt: now.getTime() }
    entries.set(classId, entry)
  }
  entry.usedAt = now.getTime()
  const recent = await db.exerciseAttempt.findMany({
    where: { courseSlug: { in: [...courseSlugs] }, createdAt: { gt: entry.settledUntil }, userId: { in: [...memberIds] } },
    select: { userId: true, courseSlug: true, lessonSlug: true, exerciseId: true, passed: true, createdAt: true, assertions: true },
  })
  const settling = recent.filter((a) => a.createdAt <= settleAt)
  for (const attempt of settling) foldAttempt(entry.tally, attempt)
  if (settleAt > entry.settledUntil) entry.settledUntil = settleAt
  return withAttempts(
    entry.tally,
    recent.filter((a) => a.createdAt > settleAt),
  )
}

/** Runs and failing assertions per exercise for the class's members on its courses, up to now. */
export async function classAttemptTally(
  db: Db,
  classId: string,
  memberIds: readonly string[],
  courseSlugs: readonly string[],
  now?: Date,
): Promise<{ attempts: AttemptAgg[]; failures: FailureRow[] }> {
  // One refresh at a time per class: two interleaved ones would fold the same runs twice.
  const previous = queues.get(classId) ?? Promise.resolve()
  const run = previous.catch(() => {}).then(() => refresh(db, classId, memberIds, courseSlugs, now ?? new Date()))
  queues.set(classId, run)
  try {
    return tallyRows(await run)
  } finally {
    if (queues.get(classId) === run) queues.delete(classId)
  }
}

/** Forget every class's state (tests, and after a database restore). */
export function resetClassTallies(): void {
  entries.clear()
  queues.clear()
}

/**
 * Starts counting the runs of these classes in the background (the instructor's class list
 * calls it), so that opening a dashboard after a server start does not wait for the first
 * full count. Errors are ignored: the dashboard counts again if needed.
 */
export function warmClassTallies(db: Db, classes: readonly { id: string; courseSlugs: readonly string[] }[]): void {
  for (const c of classes) {
    if (entries.has(c.id)) continue
    void db.classroomMember
      .findMany({ where: { classroomId: c.id }, select: { userId: true } })
      .then((members) =>
        classAttemptTally(
          db,
          c.id,
          members.map((m) => m.userId),
          c.courseSlugs,
        ),
      )
      .catch(() => {})
  }
}
