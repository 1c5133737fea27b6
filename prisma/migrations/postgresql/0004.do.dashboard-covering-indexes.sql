-- Indexes that hold every column the class dashboard reads from ExerciseProgress and
-- ExerciseAssertionFailure, so its grouped reads touch no table row (lib/classes/queries.server.ts,
-- failures.server.ts). The totals index replaces the (courseSlug, lessonSlug, exerciseId) one.

-- DropIndex
DROP INDEX "ExerciseProgress_courseSlug_lessonSlug_exerciseId_idx";

-- CreateIndex
CREATE INDEX "ExerciseProgress_dashboard_cells_idx" ON "ExerciseProgress"("userId", "courseSlug", "lessonSlug", "exerciseId", "completedAt", "attempts", "passedAttempts", "hintsRevealed", "solutionRevealed");

-- CreateIndex
CREATE INDEX "ExerciseProgress_dashboard_totals_idx" ON "ExerciseProgress"("courseSlug", "lessonSlug", "exerciseId", "userId", "completedAt", "attempts", "passedAttempts", "hintsRevealed", "solutionRevealed");

-- CreateIndex
CREATE INDEX "ExerciseAssertionFailure_dashboard_idx" ON "ExerciseAssertionFailure"("userId", "courseSlug", "exerciseAssertionId", "failures", "lastFailedAt");

