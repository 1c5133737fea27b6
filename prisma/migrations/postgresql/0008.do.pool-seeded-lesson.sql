-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN     "seededLessonKey" TEXT;

