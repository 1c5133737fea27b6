-- AlterTable
ALTER TABLE "SandboxDisk" ADD COLUMN     "readingSince" TIMESTAMP(3);

