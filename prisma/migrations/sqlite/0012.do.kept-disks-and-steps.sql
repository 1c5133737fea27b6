-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "diskId" TEXT;
ALTER TABLE "Sandbox" ADD COLUMN "scopeKey" TEXT;

-- CreateTable
CREATE TABLE "SandboxDisk" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "scopeKey" TEXT NOT NULL,
    "lessonKey" TEXT,
    "layoutKey" TEXT NOT NULL,
    "placement" TEXT NOT NULL,
    "agentName" TEXT,
    "status" TEXT NOT NULL,
    "sandboxId" TEXT,
    "subnet" TEXT,
    "running" TEXT NOT NULL DEFAULT '{}',
    "keptKb" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "keptAt" DATETIME,
    "expiresAt" DATETIME,
    "removedAt" DATETIME,
    "removeReason" TEXT,
    "error" TEXT,
    CONSTRAINT "SandboxDisk_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SandboxStep" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "diskId" TEXT NOT NULL,
    "lessonKey" TEXT NOT NULL,
    "exerciseId" TEXT NOT NULL,
    "running" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SandboxStep_diskId_fkey" FOREIGN KEY ("diskId") REFERENCES "SandboxDisk" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "SandboxDisk_userId_scopeKey_status_idx" ON "SandboxDisk"("userId", "scopeKey", "status");

-- CreateIndex
CREATE INDEX "SandboxDisk_status_expiresAt_idx" ON "SandboxDisk"("status", "expiresAt");

-- CreateIndex
CREATE INDEX "SandboxDisk_agentName_status_idx" ON "SandboxDisk"("agentName", "status");

-- CreateIndex
CREATE INDEX "SandboxStep_diskId_lessonKey_exerciseId_idx" ON "SandboxStep"("diskId", "lessonKey", "exerciseId");

