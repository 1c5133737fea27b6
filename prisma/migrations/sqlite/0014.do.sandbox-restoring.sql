-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "restoringSince" DATETIME;

