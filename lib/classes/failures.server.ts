import 'server-only'
import { Prisma } from '../generated/prisma/client'
import type { Db } from '../db/client.server'
import { databaseKind, resolveDatabaseUrl } from '../db/url'
import type { FailureRow } from './aggregate'

// Failing assertions, counted inside the database. Each ExerciseAttempt stores its assertions
// as a JSON array; loading 30,000 of them to count in JavaScript would move megabytes for a
// few hundred numbers, so the database unnests the arrays (json_each in SQLite,
// jsonb_array_elements in PostgreSQL) and groups. The class scope is part of the query:
// only attempts of the class's members, on the class's courses.
//
// Pending assertions (live mode's "run it by hand" placeholders) are not failures.

type RawFailure = { c: string; l: string; e: string; aid: string; failures: bigint | number; students: bigint | number; sample: unknown }

const sqliteQuery = (classId: string) => Prisma.sql`
  WITH failed AS (
    SELECT a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e, a."userId" AS u, a."createdAt" AS t,
           json_extract(j.value, '$.id') AS aid, j.value AS v
    FROM "ExerciseAttempt" a, json_each(a."assertions") j
    WHERE a."passed" = 0
      AND a."userId" IN (SELECT m."userId" FROM "ClassroomMember" m WHERE m."classroomId" = ${classId})
      AND a."courseSlug" IN (SELECT cc."courseSlug" FROM "ClassroomCourse" cc WHERE cc."classroomId" = ${classId})
      AND json_extract(j.value, '$.passed') = 0
      AND COALESCE(json_extract(j.value, '$.pending'), 0) = 0
  ),
  ranked AS (
    SELECT c, l, e, u, aid, v, ROW_NUMBER() OVER (PARTITION BY c, l, e, aid ORDER BY t DESC) AS rn FROM failed
  )
  SELECT c, l, e, aid, COUNT(*) AS failures, COUNT(DISTINCT u) AS students, MAX(CASE WHEN rn = 1 THEN v END) AS sample
  FROM ranked
  GROUP BY c, l, e, aid`

const postgresQuery = (classId: string) => Prisma.sql`
  WITH failed AS (
    SELECT a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e, a."userId" AS u, a."createdAt" AS t,
           j.value ->> 'id' AS aid, j.value AS v
    FROM "ExerciseAttempt" a
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a."assertions") = 'array' THEN a."assertions" ELSE '[]'::jsonb END) AS j(value)
    WHERE a."passed" = false
      AND a."userId" IN (SELECT m."userId" FROM "ClassroomMember" m WHERE m."classroomId" = ${classId})
      AND a."courseSlug" IN (SELECT cc."courseSlug" FROM "ClassroomCourse" cc WHERE cc."classroomId" = ${classId})
      AND j.value ->> 'passed' = 'false'
      AND COALESCE(j.value ->> 'pending', 'false') <> 'true'
  )
  SELECT c, l, e, aid, COUNT(*) AS failures, COUNT(DISTINCT u) AS students, (ARRAY_AGG(v ORDER BY t DESC))[1] AS sample
  FROM failed
  GROUP BY c, l, e, aid`

export async function classFailures(db: Db, classId: string): Promise<FailureRow[]> {
  const kind = databaseKind(resolveDatabaseUrl())
  const rows = await db.$queryRaw<RawFailure[]>(kind === 'sqlite' ? sqliteQuery(classId) : postgresQuery(classId))
  return rows
    .filter((r) => typeof r.aid === 'string')
    .map((r) => ({
      courseSlug: r.c,
      lessonSlug: r.l,
      exerciseId: r.e,
      assertionId: r.aid,
      failures: Number(r.failures),
      students: Number(r.students),
      sample: typeof r.sample === 'string' ? safeJson(r.sample) : r.sample,
    }))
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
