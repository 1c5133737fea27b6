-- CreateTable
CREATE TABLE "ContentVersion" (
    "id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "reloadedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reloadedBy" TEXT,

    CONSTRAINT "ContentVersion_pkey" PRIMARY KEY ("id")
);

