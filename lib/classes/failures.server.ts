import 'server-only'
import { Prisma } from '../generated/prisma/client'
import type { Db } from '../db/client.server'
import { databaseKind, resolveDatabaseUrl } from '../db/url'
import type { FailureRow } from './aggregate'

// A class's failing assertions per exercise, read from ExerciseAssertionFailure: one row per
// learner and assertion, kept by recordAttempt in the transaction that stores each run
// (lib/progress/exercises.server.ts) and filled from the stored runs by migration 0003.
// One grouped statement over the class's members and courses: failures summed, students
// counted (a row is one learner), and the sample of the latest failure among them. The rows
// are found by learner and course (the primary key) and grouped by the assertion's integer
// id, then named from ExerciseAssertion. SQLite groups by sorting: on a class of 300 learners
// (48,000 rows) sorting on the four text columns of the name cost four times as much as on one
// integer, and carrying each row's sample through the sort as much again; so on SQLite the
// grouped statement keeps only which learner failed last, and the samples are read after by
// primary key (scripts/bench/dashboard.ts). The grouped read is served by an index holding
// every column it needs (ExerciseAssertionFailure_dashboard_idx, migration 0004).

type Group = { c: string; l: string; e: string; aid: string; id: bigint | number; failures: bigint | number; students: bigint | number }

const inClass = (classId: string) => Prisma.sql`f."userId" IN (SELECT m."userId" FROM "ClassroomMember" m WHERE m."classroomId" = ${classId})
        AND f."courseSlug" IN (SELECT cc."courseSlug" FROM "ClassroomCourse" cc WHERE cc."classroomId" = ${classId})`

// SQLite: with exactly one max() in an aggregate query, the bare column `latest` comes from
// the row holding the maximum, i.e. the learner who failed last.
const sqliteGroups = (classId: string) => Prisma.sql`
  SELECT x."courseSlug" AS c, x."lessonSlug" AS l, x."exerciseId" AS e, x."assertionId" AS aid, g.id, g.failures, g.students, g.latest
  FROM (
    SELECT f."exerciseAssertionId" AS id, SUM(f."failures") AS failures, COUNT(*) AS students, MAX(f."lastFailedAt") AS latest_at, f."userId" AS latest
    FROM "ExerciseAssertionFailure" f
    WHERE ${inClass(classId)}
    GROUP BY f."exerciseAssertionId"
  ) g
  JOIN "ExerciseAssertion" x ON x."id" = g.id`

const postgresGroups = (classId: string) => Prisma.sql`
  SELECT x."courseSlug" AS c, x."lessonSlug" AS l, x."exerciseId" AS e, x."assertionId" AS aid, g.id, g.failures, g.students, g.sample
  FROM (
    SELECT f."exerciseAssertionId" AS id, SUM(f."failures") AS failures, COUNT(*) AS students, (ARRAY_AGG(f."sample" ORDER BY f."lastFailedAt" DESC))[1] AS sample
    FROM "ExerciseAssertionFailure" f
    WHERE ${inClass(classId)}
    GROUP BY f."exerciseAssertionId"
  ) g
  JOIN "ExerciseAssertion" x ON x."id" = g.id`

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    return null
  }
}

const toRow = (g: Group, sample: unknown): FailureRow => ({
  courseSlug: g.c,
  lessonSlug: g.l,
  exerciseId: g.e,
  assertionId: g.aid,
  failures: Number(g.failures),
  students: Number(g.students),
  sample: parseJson(sample),
})

/** SQLite: the sample of each group, from the row of the learner who failed it last. */
async function sqliteSamples(db: Db, groups: (Group & { latest: string })[]): Promise<Map<number, unknown>> {
  const samples = new Map<number, unknown>()
  for (let i = 0; i < groups.length; i += 500) {
    const keys = groups.slice(i, i + 500).map((g) => Prisma.sql`(${g.latest}, ${g.c}, ${Number(g.id)})`)
    const rows = await db.$queryRaw<{ id: bigint | number; sample: unknown }[]>`
      SELECT f."exerciseAssertionId" AS id, f."sample" AS sample FROM "ExerciseAssertionFailure" f
      WHERE (f."userId", f."courseSlug", f."exerciseAssertionId") IN (VALUES ${Prisma.join(keys)})`
    for (const r of rows) samples.set(Number(r.id), r.sample)
  }
  return samples
}

/** Every failing assertion of the class's members on its courses, per exercise. */
export async function classFailuresOf(db: Db, classId: string): Promise<FailureRow[]> {
  if (databaseKind(resolveDatabaseUrl()) === 'sqlite') {
    const groups = await db.$queryRaw<(Group & { latest: string })[]>(sqliteGroups(classId))
    const samples = await sqliteSamples(db, groups)
    return groups.map((g) => toRow(g, samples.get(Number(g.id)) ?? null))
  }
  const groups = await db.$queryRaw<(Group & { sample: unknown })[]>(postgresGroups(classId))
  return groups.map((g) => toRow(g, g.sample))
}
