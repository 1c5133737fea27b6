-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN     "restoringSince" TIMESTAMP(3);

