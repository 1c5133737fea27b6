-- AlterTable
ALTER TABLE "SandboxDisk" ADD COLUMN "readingSince" DATETIME;

