-- Live runs are not attempts. Live mode re-reads a learner's sandbox while the lesson is open
-- and stored a run (ExerciseAttempt.trigger = 'live') each time its outcome changed; until now
-- recordAttempt counted those runs like clicks on "Vérifier", so a learner who never checked an
-- exercise could show on the class dashboard as stuck on it. The runs stay stored, flagged by
-- their trigger (the current state); their counts are taken out here, with the rules of
-- recordAttempt (lib/progress/exercises.server.ts) and of migration 0003, for the exercises that
-- have live runs only: the counts of every other exercise are left as they are.

CREATE TEMP TABLE "quai_live_exercise" ON COMMIT DROP AS
SELECT DISTINCT a."userId" AS u, a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e
FROM "ExerciseAttempt" a
WHERE a."trigger" = 'live';

-- Attempts, passed attempts and the first attempt's time, from the runs that are attempts.
-- completedAt stays: a live pass completes the exercise (the learner did the work).
UPDATE "ExerciseProgress" p SET
    "attempts" = COALESCE(c.n, 0),
    "passedAttempts" = COALESCE(c.passed, 0),
    "firstAttemptAt" = c.first
FROM "quai_live_exercise" x
LEFT JOIN (
    SELECT "userId", "courseSlug", "lessonSlug", "exerciseId", COUNT(*) AS n,
           COUNT(*) FILTER (WHERE "passed") AS passed, MIN("createdAt") AS first
    FROM "ExerciseAttempt" WHERE "trigger" <> 'live'
    GROUP BY "userId", "courseSlug", "lessonSlug", "exerciseId"
) c ON c."userId" = x.u AND c."courseSlug" = x.c AND c."lessonSlug" = x.l AND c."exerciseId" = x.e
WHERE p."userId" = x.u AND p."courseSlug" = x.c AND p."lessonSlug" = x.l AND p."exerciseId" = x.e;

-- The failing assertions of those exercises, counted again from their attempts alone.
DELETE FROM "ExerciseAssertionFailure" f
USING "ExerciseAssertion" n, "quai_live_exercise" x
WHERE n."id" = f."exerciseAssertionId"
  AND x.u = f."userId" AND x.c = n."courseSlug" AND x.l = n."lessonSlug" AND x.e = n."exerciseId";

-- As in 0003: an object of the run's JSON array with a string id, "passed": false and not
-- "pending": true, in a failed run.
CREATE TEMP TABLE "quai_failed_assertion" ON COMMIT DROP AS
SELECT a."userId" AS u, a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e,
       j.value ->> 'id' AS aid, j.value AS v, a."createdAt" AS t, a."id" AS rid, j.k
FROM "ExerciseAttempt" a
JOIN "quai_live_exercise" x ON x.u = a."userId" AND x.c = a."courseSlug" AND x.l = a."lessonSlug" AND x.e = a."exerciseId"
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a."assertions") = 'array' THEN a."assertions" ELSE '[]'::jsonb END) WITH ORDINALITY AS j(value, k)
WHERE a."passed" = false
  AND a."trigger" <> 'live'
  AND jsonb_typeof(j.value) = 'object'
  AND jsonb_typeof(j.value -> 'id') = 'string'
  AND (j.value -> 'passed') = 'false'::jsonb
  AND (j.value -> 'pending') IS DISTINCT FROM 'true'::jsonb;

INSERT INTO "ExerciseAssertion" ("courseSlug", "lessonSlug", "exerciseId", "assertionId")
SELECT DISTINCT c, l, e, aid FROM "quai_failed_assertion" ORDER BY c, l, e, aid
ON CONFLICT DO NOTHING;

-- Per learner and assertion: the failures, and as sample the assertion of the latest failing
-- attempt (by createdAt, then id), its last occurrence if the attempt lists the id twice.
INSERT INTO "ExerciseAssertionFailure" ("userId", "courseSlug", "exerciseAssertionId", "failures", "sample", "lastFailedAt")
SELECT r.u, r.c, n."id", r.n, r.v, r.t
FROM (
    SELECT f.*,
           COUNT(*) OVER (PARTITION BY u, c, l, e, aid) AS n,
           ROW_NUMBER() OVER (PARTITION BY u, c, l, e, aid ORDER BY t DESC, rid DESC, k DESC) AS r
    FROM "quai_failed_assertion" f
) r
JOIN "ExerciseAssertion" n ON n."courseSlug" = r.c AND n."lessonSlug" = r.l AND n."exerciseId" = r.e AND n."assertionId" = r.aid
WHERE r.r = 1;

-- Assertions of those exercises that only live runs ever failed are named no more.
DELETE FROM "ExerciseAssertion" n
USING (SELECT DISTINCT c, l, e FROM "quai_live_exercise") x
WHERE x.c = n."courseSlug" AND x.l = n."lessonSlug" AND x.e = n."exerciseId"
  AND NOT EXISTS (SELECT 1 FROM "ExerciseAssertionFailure" f WHERE f."exerciseAssertionId" = n."id");
