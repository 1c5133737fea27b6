import 'server-only'
import { Prisma } from '../generated/prisma/client'
import type { Db } from '../db/client.server'
import { databaseKind, resolveDatabaseUrl } from '../db/url'
import { emptyTally, exerciseKey, type AttemptTally } from './aggregate'

// A class's check runs and failing assertions up to a point in time, counted inside the
// database. Each ExerciseAttempt stores its assertions as a JSON array; loading 30,000 of
// them to count in JavaScript would move megabytes for a few hundred numbers, so the
// database unnests the arrays (json_each in SQLite, jsonb_array_elements in PostgreSQL) and
// groups. The class scope is part of the query: attempts of the class's members, on the
// class's courses. Pending assertions (live mode's placeholders) are not failures.
//
// Same rules as foldAttempt() in aggregate.ts, which adds later runs to this starting point;
// the integration tests check that both give the same answer.

type RawFailure = { c: string; l: string; e: string; aid: unknown; failures: bigint | number; users: string | null; sample: unknown; sample_at: unknown }

// SQLite stores Prisma DateTimes as ISO text with "+00:00"; compare in that same format.
const sqliteTime = (date: Date) => date.toISOString().replace('Z', '+00:00')

// SQLite: with exactly one max() in an aggregate query, bare columns (here `v`) come from
// the row holding the maximum, i.e. the latest failing run's assertion.
const sqliteQuery = (classId: string, until: Date) => Prisma.sql`
  SELECT a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e, json_extract(j.value, '$.id') AS aid,
         COUNT(*) AS failures, GROUP_CONCAT(DISTINCT a."userId") AS users, MAX(a."createdAt") AS sample_at, j.value AS sample
  FROM "ExerciseAttempt" a, json_each(a."assertions") j
  WHERE a."passed" = 0
    AND a."createdAt" <= ${sqliteTime(until)}
    AND a."userId" IN (SELECT m."userId" FROM "ClassroomMember" m WHERE m."classroomId" = ${classId})
    AND a."courseSlug" IN (SELECT cc."courseSlug" FROM "ClassroomCourse" cc WHERE cc."classroomId" = ${classId})
    AND json_type(j.value, '$.id') = 'text'
    AND json_extract(j.value, '$.passed') = 0
    AND COALESCE(json_extract(j.value, '$.pending'), 0) = 0
  GROUP BY 1, 2, 3, 4`

const postgresQuery = (classId: string, until: Date) => Prisma.sql`
  SELECT a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e, j.value ->> 'id' AS aid,
         COUNT(*) AS failures, STRING_AGG(DISTINCT a."userId", ',') AS users, MAX(a."createdAt") AS sample_at,
         (ARRAY_AGG(j.value ORDER BY a."createdAt" DESC))[1] AS sample
  FROM "ExerciseAttempt" a
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a."assertions") = 'array' THEN a."assertions" ELSE '[]'::jsonb END) AS j(value)
  WHERE a."passed" = false
    AND a."createdAt" <= ${until}
    AND a."userId" IN (SELECT m."userId" FROM "ClassroomMember" m WHERE m."classroomId" = ${classId})
    AND a."courseSlug" IN (SELECT cc."courseSlug" FROM "ClassroomCourse" cc WHERE cc."classroomId" = ${classId})
    AND jsonb_typeof(j.value -> 'id') = 'string'
    AND j.value ->> 'passed' = 'false'
    AND COALESCE(j.value ->> 'pending', 'false') <> 'true'
  GROUP BY 1, 2, 3, 4`

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    return null
  }
}

/** Every run of the class's members on its courses recorded up to `until`, as a tally. */
export async function loadTally(db: Db, classId: string, memberIds: readonly string[], courseSlugs: readonly string[], until: Date): Promise<AttemptTally> {
  const kind = databaseKind(resolveDatabaseUrl())
  const [runs, failures] = await Promise.all([
    db.exerciseAttempt.groupBy({
      by: ['courseSlug', 'lessonSlug', 'exerciseId', 'passed'],
      where: { userId: { in: [...memberIds] }, courseSlug: { in: [...courseSlugs] }, createdAt: { lte: until } },
      _count: { _all: true },
    }),
    db.$queryRaw<RawFailure[]>(kind === 'sqlite' ? sqliteQuery(classId, until) : postgresQuery(classId, until)),
  ])
  const tally = emptyTally()
  for (const r of runs) {
    const key = exerciseKey(r.courseSlug, r.lessonSlug, r.exerciseId)
    const entry = tally.runs.get(key) ?? { courseSlug: r.courseSlug, lessonSlug: r.lessonSlug, exerciseId: r.exerciseId, total: 0, passed: 0 }
    entry.total += r._count._all
    if (r.passed) entry.passed += r._count._all
    tally.runs.set(key, entry)
  }
  for (const r of failures) {
    if (typeof r.aid !== 'string') continue
    tally.failures.set(`${exerciseKey(r.c, r.l, r.e)}\u0000${r.aid}`, {
      courseSlug: r.c,
      lessonSlug: r.l,
      exerciseId: r.e,
      assertionId: r.aid,
      failures: Number(r.failures),
      users: new Set((r.users ?? '').split(',').filter(Boolean)),
      sample: parseJson(r.sample),
      sampleAt: new Date(r.sample_at as string | Date).getTime(),
    })
  }
  return tally
}
