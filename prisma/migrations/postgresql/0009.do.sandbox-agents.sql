-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN     "agentName" TEXT;

-- CreateTable
CREATE TABLE "SandboxAgent" (
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "draining" BOOLEAN NOT NULL DEFAULT false,
    "capacity" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3),
    "lostAt" TIMESTAMP(3),

    CONSTRAINT "SandboxAgent_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "Sandbox_agentName_status_idx" ON "Sandbox"("agentName", "status");

