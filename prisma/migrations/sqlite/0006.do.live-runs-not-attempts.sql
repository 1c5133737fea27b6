-- Live runs are not attempts. Live mode re-reads a learner's sandbox while the lesson is open
-- and stored a run (ExerciseAttempt.trigger = 'live') each time its outcome changed; until now
-- recordAttempt counted those runs like clicks on "Vérifier", so a learner who never checked an
-- exercise could show on the class dashboard as stuck on it. The runs stay stored, flagged by
-- their trigger (the current state); their counts are taken out here, with the rules of
-- recordAttempt (lib/progress/exercises.server.ts) and of migration 0003, for the exercises that
-- have live runs only: the counts of every other exercise are left as they are.

CREATE TEMP TABLE "quai_live_exercise" AS
SELECT DISTINCT a."userId" AS u, a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e
FROM "ExerciseAttempt" a
WHERE a."trigger" = 'live';

-- Attempts, passed attempts and the first attempt's time, from the runs that are attempts.
-- completedAt stays: a live pass completes the exercise (the learner did the work).
UPDATE "ExerciseProgress" SET
    "attempts" = (
        SELECT COUNT(*) FROM "ExerciseAttempt" a
        WHERE a."userId" = "ExerciseProgress"."userId" AND a."courseSlug" = "ExerciseProgress"."courseSlug"
          AND a."lessonSlug" = "ExerciseProgress"."lessonSlug" AND a."exerciseId" = "ExerciseProgress"."exerciseId"
          AND a."trigger" <> 'live'
    ),
    "passedAttempts" = (
        SELECT COUNT(*) FROM "ExerciseAttempt" a
        WHERE a."userId" = "ExerciseProgress"."userId" AND a."courseSlug" = "ExerciseProgress"."courseSlug"
          AND a."lessonSlug" = "ExerciseProgress"."lessonSlug" AND a."exerciseId" = "ExerciseProgress"."exerciseId"
          AND a."trigger" <> 'live' AND a."passed" = 1
    ),
    "firstAttemptAt" = (
        SELECT MIN(a."createdAt") FROM "ExerciseAttempt" a
        WHERE a."userId" = "ExerciseProgress"."userId" AND a."courseSlug" = "ExerciseProgress"."courseSlug"
          AND a."lessonSlug" = "ExerciseProgress"."lessonSlug" AND a."exerciseId" = "ExerciseProgress"."exerciseId"
          AND a."trigger" <> 'live'
    )
WHERE EXISTS (
    SELECT 1 FROM temp."quai_live_exercise" x
    WHERE x.u = "ExerciseProgress"."userId" AND x.c = "ExerciseProgress"."courseSlug"
      AND x.l = "ExerciseProgress"."lessonSlug" AND x.e = "ExerciseProgress"."exerciseId"
);

-- The failing assertions of those exercises, counted again from their attempts alone.
DELETE FROM "ExerciseAssertionFailure"
WHERE EXISTS (
    SELECT 1 FROM "ExerciseAssertion" n
    JOIN temp."quai_live_exercise" x ON x.c = n."courseSlug" AND x.l = n."lessonSlug" AND x.e = n."exerciseId"
    WHERE n."id" = "ExerciseAssertionFailure"."exerciseAssertionId" AND x.u = "ExerciseAssertionFailure"."userId"
);

-- As in 0003: an object of the run's JSON array with a text id, "passed": false and not
-- "pending": true, in a failed run (a row whose JSON is unreadable counts nothing).
CREATE TEMP TABLE "quai_failed_assertion" AS
SELECT a."userId" AS u, a."courseSlug" AS c, a."lessonSlug" AS l, a."exerciseId" AS e,
       json_extract(j.value, '$.id') AS aid, j.value AS v, a."createdAt" AS t, a."id" AS rid, j.key AS k
FROM "ExerciseAttempt" a
JOIN temp."quai_live_exercise" x ON x.u = a."userId" AND x.c = a."courseSlug" AND x.l = a."lessonSlug" AND x.e = a."exerciseId",
     json_each(CASE WHEN json_valid(a."assertions") THEN CASE WHEN json_type(a."assertions") = 'array' THEN a."assertions" ELSE '[]' END ELSE '[]' END) j
WHERE a."passed" = 0
  AND a."trigger" <> 'live'
  AND j.type = 'object'
  AND CASE WHEN j.type = 'object' THEN json_type(j.value, '$.id') = 'text' AND json_type(j.value, '$.passed') = 'false' AND json_type(j.value, '$.pending') IS NOT 'true' ELSE 0 END;

INSERT OR IGNORE INTO "ExerciseAssertion" ("courseSlug", "lessonSlug", "exerciseId", "assertionId")
SELECT DISTINCT c, l, e, aid FROM temp."quai_failed_assertion" ORDER BY c, l, e, aid;

-- Per learner and assertion: the failures, and as sample the assertion of the latest failing
-- attempt (by createdAt, then id), its last occurrence if the attempt lists the id twice.
INSERT INTO "ExerciseAssertionFailure" ("userId", "courseSlug", "exerciseAssertionId", "failures", "sample", "lastFailedAt")
SELECT r.u, r.c, n."id", r.n, r.v, r.t
FROM (
    SELECT f.*,
           COUNT(*) OVER (PARTITION BY u, c, l, e, aid) AS n,
           ROW_NUMBER() OVER (PARTITION BY u, c, l, e, aid ORDER BY t DESC, rid DESC, k DESC) AS r
    FROM temp."quai_failed_assertion" f
) r
JOIN "ExerciseAssertion" n ON n."courseSlug" = r.c AND n."lessonSlug" = r.l AND n."exerciseId" = r.e AND n."assertionId" = r.aid
WHERE r.r = 1;

-- Assertions of those exercises that only live runs ever failed are named no more.
DELETE FROM "ExerciseAssertion"
WHERE EXISTS (
    SELECT 1 FROM temp."quai_live_exercise" x
    WHERE x.c = "ExerciseAssertion"."courseSlug" AND x.l = "ExerciseAssertion"."lessonSlug" AND x.e = "ExerciseAssertion"."exerciseId"
)
AND NOT EXISTS (SELECT 1 FROM "ExerciseAssertionFailure" f WHERE f."exerciseAssertionId" = "ExerciseAssertion"."id");

DROP TABLE temp."quai_failed_assertion";
DROP TABLE temp."quai_live_exercise";
