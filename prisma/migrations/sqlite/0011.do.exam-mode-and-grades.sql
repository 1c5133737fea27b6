-- Exam mode: a window and an optional list of lessons per class (lib/exams/).
ALTER TABLE "Classroom" ADD COLUMN "examEndsAt" DATETIME;
ALTER TABLE "Classroom" ADD COLUMN "examLessons" TEXT;
ALTER TABLE "Classroom" ADD COLUMN "examStartsAt" DATETIME;

-- Grades: each stored check run keeps its score (0 to 1). ADD COLUMN rather than Prisma's copy of
-- the whole table. Runs stored before have no weights to apply: passed assertions over all.
ALTER TABLE "ExerciseAttempt" ADD COLUMN "score" REAL;
UPDATE "ExerciseAttempt" SET "score" = CASE WHEN "totalCount" > 0 THEN CAST("passedCount" AS REAL) / "totalCount" ELSE 0 END;
