-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "agentName" TEXT;

-- CreateTable
CREATE TABLE "SandboxAgent" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "address" TEXT NOT NULL,
    "draining" BOOLEAN NOT NULL DEFAULT false,
    "capacity" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME,
    "lostAt" DATETIME
);

-- CreateIndex
CREATE INDEX "Sandbox_agentName_status_idx" ON "Sandbox"("agentName", "status");

