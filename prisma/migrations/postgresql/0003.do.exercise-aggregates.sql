-- The class dashboard's check-run figures, kept when each run is stored (recordAttempt in
-- lib/progress/exercises.server.ts) instead of being counted from every ExerciseAttempt when
-- the dashboard is read; filled here from the runs already stored.

-- DropIndex: only the former in-memory tally read runs by (courseSlug, createdAt).
DROP INDEX "ExerciseAttempt_courseSlug_createdAt_idx";

-- AlterTable
ALTER TABLE "ExerciseProgress" ADD COLUMN     "passedAttempts" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "ExerciseAssertion" (
    "id" SERIAL NOT NULL,
    "courseSlug" TEXT NOT NULL,
    "lessonSlug" TEXT NOT NULL,
    "exerciseId" TEXT NOT NULL,
    "assertionId" TEXT NOT NULL,

    CONSTRAINT "ExerciseAssertion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExerciseAssertionFailure" (
    "userId" TEXT NOT NULL,
    "courseSlug" TEXT NOT NULL,
    "exerciseAssertionId" INTEGER NOT NULL,
    "failures" INTEGER NOT NULL,
    "sample" JSONB NOT NULL,
    "lastFailedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExerciseAssertionFailure_pkey" PRIMARY KEY ("userId","courseSlug","exerciseAssertionId")
);

-- CreateIndex
CREATE UNIQUE INDEX "ExerciseAssertion_courseSlug_lessonSlug_exerciseId_assertio_key" ON "ExerciseAssertion"("courseSlug", "lessonSlug", "exerciseId", "assertionId");

-- AddForeignKey
ALTER TABLE "ExerciseAssertionFailure" ADD CONSTRAINT "ExerciseAssertionFailure_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExerciseAssertionFailure" ADD CONSTRAINT "ExerciseAssertionFailure_exerciseAssertionId_fkey" FOREIGN KEY ("exerciseAssertionId") REFERENCES "ExerciseAssertion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill, with the rules of recordAttempt and failedAssertions() (lib/progress/exercise-rules.ts).
-- Passed runs per learner and exercise:
UPDATE "ExerciseProgress" p SET "passedAttempts" = c.n
FROM (
    SELECT "userId", "courseSlug", "lessonSlug", "exerciseId", COUNT(*) AS n
    FROM "ExerciseAttempt" WHERE "passed" = true
    GROUP BY "userId", "courseSlug", "lessonSlug", "exerciseId"
) c
WHERE p."userId" = c."userId" AND p."courseSlug" = c."courseSlug" AND p."lessonSlug" = c."lessonSlug" AND p."exerciseId" = c."exerciseId";

-- Every failing assertion of a failed run: an object of the run's JSON array with a string id,
-- "passed": false and not "pending": true.
CREATE TEMP TABLE "quai_failed_assertion" ON COMMIT DROP AS
SELECT a."userId" AS u, a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e,
       j.value ->> 'id' AS aid, j.value AS v, a."createdAt" AS t, a."id" AS rid, j.k
FROM "ExerciseAttempt" a
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a."assertions") = 'array' THEN a."assertions" ELSE '[]'::jsonb END) WITH ORDINALITY AS j(value, k)
WHERE a."passed" = false
  AND jsonb_typeof(j.value) = 'object'
  AND jsonb_typeof(j.value -> 'id') = 'string'
  AND (j.value -> 'passed') = 'false'::jsonb
  AND (j.value -> 'pending') IS DISTINCT FROM 'true'::jsonb;

INSERT INTO "ExerciseAssertion" ("courseSlug", "lessonSlug", "exerciseId", "assertionId")
SELECT DISTINCT c, l, e, aid FROM "quai_failed_assertion" ORDER BY c, l, e, aid;

-- Per learner and assertion: the failures, and as sample the assertion of the latest failing
-- run (by createdAt, then id), its last occurrence if the run lists the id twice.
INSERT INTO "ExerciseAssertionFailure" ("userId", "courseSlug", "exerciseAssertionId", "failures", "sample", "lastFailedAt")
SELECT r.u, r.c, x."id", r.n, r.v, r.t
FROM (
    SELECT f.*,
           COUNT(*) OVER (PARTITION BY u, c, l, e, aid) AS n,
           ROW_NUMBER() OVER (PARTITION BY u, c, l, e, aid ORDER BY t DESC, rid DESC, k DESC) AS r
    FROM "quai_failed_assertion" f
) r
JOIN "ExerciseAssertion" x ON x."courseSlug" = r.c AND x."lessonSlug" = r.l AND x."exerciseId" = r.e AND x."assertionId" = r.aid
WHERE r.r = 1;
