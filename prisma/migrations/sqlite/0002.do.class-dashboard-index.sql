-- CreateIndex
CREATE INDEX "ExerciseAttempt_courseSlug_createdAt_idx" ON "ExerciseAttempt"("courseSlug", "createdAt");

