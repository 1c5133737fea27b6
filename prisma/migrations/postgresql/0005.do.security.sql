-- AlterTable
ALTER TABLE "Classroom" ADD COLUMN     "quizExplanations" TEXT,
ADD COLUMN     "quizMaxAttempts" INTEGER;

-- CreateTable
CREATE TABLE "SetupToken" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "usedBy" TEXT,

    CONSTRAINT "SetupToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageCounter" (
    "key" TEXT NOT NULL,
    "windowStart" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "UsageCounter_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "SandboxPort" (
    "token" TEXT NOT NULL,
    "sandboxId" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sharedAt" TIMESTAMP(3),

    CONSTRAINT "SandboxPort_pkey" PRIMARY KEY ("token")
);

-- CreateTable
CREATE TABLE "PortGrant" (
    "id" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "PortGrant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SetupToken_tokenHash_key" ON "SetupToken"("tokenHash");

-- CreateIndex
CREATE INDEX "UsageCounter_windowStart_idx" ON "UsageCounter"("windowStart");

-- CreateIndex
CREATE UNIQUE INDEX "SandboxPort_sandboxId_node_port_key" ON "SandboxPort"("sandboxId", "node", "port");

-- CreateIndex
CREATE INDEX "PortGrant_expiresAt_idx" ON "PortGrant"("expiresAt");

-- AddForeignKey
ALTER TABLE "SandboxPort" ADD CONSTRAINT "SandboxPort_sandboxId_fkey" FOREIGN KEY ("sandboxId") REFERENCES "Sandbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PortGrant" ADD CONSTRAINT "PortGrant_token_fkey" FOREIGN KEY ("token") REFERENCES "SandboxPort"("token") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PortGrant" ADD CONSTRAINT "PortGrant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

