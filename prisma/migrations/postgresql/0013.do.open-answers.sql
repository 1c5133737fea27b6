-- Open questions (lib/open-questions/): one answer per learner and question, graded against the
-- question's rubric by an instructor of the learner's class; its file in a table of its own so that
-- listing answers never reads the bytes. Numbered 0013: 0012 is another change, made in parallel.

-- CreateTable
CREATE TABLE "OpenAnswer" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "courseSlug" TEXT NOT NULL,
    "lessonSlug" TEXT NOT NULL,
    "questionId" TEXT NOT NULL,
    "text" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'draft',
    "submittedAt" TIMESTAMP(3),
    "submissions" INTEGER NOT NULL DEFAULT 0,
    "criteria" JSONB,
    "points" DOUBLE PRECISION,
    "maxPoints" DOUBLE PRECISION,
    "feedback" TEXT,
    "gradedById" TEXT,
    "gradedAt" TIMESTAMP(3),
    "resubmitAllowed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OpenAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OpenAnswerFile" (
    "answerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OpenAnswerFile_pkey" PRIMARY KEY ("answerId")
);

-- CreateIndex
CREATE INDEX "OpenAnswer_courseSlug_lessonSlug_questionId_status_idx" ON "OpenAnswer"("courseSlug", "lessonSlug", "questionId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "OpenAnswer_userId_courseSlug_lessonSlug_questionId_key" ON "OpenAnswer"("userId", "courseSlug", "lessonSlug", "questionId");

-- AddForeignKey
ALTER TABLE "OpenAnswer" ADD CONSTRAINT "OpenAnswer_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OpenAnswer" ADD CONSTRAINT "OpenAnswer_gradedById_fkey" FOREIGN KEY ("gradedById") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OpenAnswerFile" ADD CONSTRAINT "OpenAnswerFile_answerId_fkey" FOREIGN KEY ("answerId") REFERENCES "OpenAnswer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

