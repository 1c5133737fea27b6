-- Exam mode: a window and an optional list of lessons per class (lib/exams/).
ALTER TABLE "Classroom" ADD COLUMN     "examEndsAt" TIMESTAMP(3),
ADD COLUMN     "examLessons" TEXT,
ADD COLUMN     "examStartsAt" TIMESTAMP(3);

-- Grades: each stored check run keeps its score (0 to 1). Runs stored before have no weights
-- to apply: passed assertions over all.
ALTER TABLE "ExerciseAttempt" ADD COLUMN     "score" DOUBLE PRECISION;
UPDATE "ExerciseAttempt" SET "score" = CASE WHEN "totalCount" > 0 THEN "passedCount"::DOUBLE PRECISION / "totalCount" ELSE 0 END;
