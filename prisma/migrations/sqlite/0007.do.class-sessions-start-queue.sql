-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "queueSeenAt" DATETIME;
ALTER TABLE "Sandbox" ADD COLUMN "startedAt" DATETIME;

-- CreateTable
CREATE TABLE "ClassSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "classroomId" TEXT NOT NULL,
    "courseSlug" TEXT NOT NULL,
    "lessonSlug" TEXT NOT NULL,
    "startsAt" DATETIME NOT NULL,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ClassSession_classroomId_fkey" FOREIGN KEY ("classroomId") REFERENCES "Classroom" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ClassSession_startsAt_idx" ON "ClassSession"("startsAt");

-- CreateIndex
CREATE INDEX "ClassSession_classroomId_startsAt_idx" ON "ClassSession"("classroomId", "startsAt");

-- CreateIndex
CREATE INDEX "Sandbox_placement_status_startedAt_createdAt_idx" ON "Sandbox"("placement", "status", "startedAt", "createdAt");

