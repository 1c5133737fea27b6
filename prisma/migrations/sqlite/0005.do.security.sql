-- AlterTable
ALTER TABLE "Classroom" ADD COLUMN "quizExplanations" TEXT;
ALTER TABLE "Classroom" ADD COLUMN "quizMaxAttempts" INTEGER;

-- CreateTable
CREATE TABLE "SetupToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "usedBy" TEXT
);

-- CreateTable
CREATE TABLE "UsageCounter" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "windowStart" BIGINT NOT NULL,
    "count" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "SandboxPort" (
    "token" TEXT NOT NULL PRIMARY KEY,
    "sandboxId" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sharedAt" DATETIME,
    CONSTRAINT "SandboxPort_sandboxId_fkey" FOREIGN KEY ("sandboxId") REFERENCES "Sandbox" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PortGrant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "token" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    CONSTRAINT "PortGrant_token_fkey" FOREIGN KEY ("token") REFERENCES "SandboxPort" ("token") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "PortGrant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "SetupToken_tokenHash_key" ON "SetupToken"("tokenHash");

-- CreateIndex
CREATE INDEX "UsageCounter_windowStart_idx" ON "UsageCounter"("windowStart");

-- CreateIndex
CREATE UNIQUE INDEX "SandboxPort_sandboxId_node_port_key" ON "SandboxPort"("sandboxId", "node", "port");

-- CreateIndex
CREATE INDEX "PortGrant_expiresAt_idx" ON "PortGrant"("expiresAt");

