import 'server-only'
import type { SessionUser } from '../auth/session.server'
import type { Readable } from 'node:stream'
import { sandboxConfig } from '../sandbox/config.server'
import { discardKeptWork, keptWorkForLesson, openKeptLab, restoreToStep, stepsOfSandbox } from '../sandbox/kept.server'
import type { KeptWarning, StepListView } from './api'

// What the steps and kept-work routes do (docs/persistence.md); lib/sandbox checks ownership.

/** GET /api/sandboxes/<id>/steps */
export async function listSteps(user: SessionUser, sandboxId: string): Promise<StepListView> {
  return { steps: await stepsOfSandbox(user.id, sandboxId) }
}

/** POST /api/sandboxes/<id>/steps/<step>/restore: the learner's own sandbox, back to one of its steps. */
export async function restoreStep(user: SessionUser, sandboxId: string, stepId: string): Promise<void> {
  await restoreToStep(user.id, stepId, sandboxId)
}

/** DELETE /api/kept-work: the learner starts the lesson over from scratch. */
export async function discardWork(user: SessionUser, courseSlug: string, lessonSlug: string): Promise<{ discarded: boolean }> {
  return { discarded: await discardKeptWork(user.id, `${courseSlug}/${lessonSlug}`) }
}

/** GET /api/kept-work/archive: the lab folders of the learner's kept work for a lesson, without resuming it. */
export async function downloadKeptWork(user: SessionUser, courseSlug: string, lessonSlug: string): Promise<{ name: string; stream: Readable }> {
  return openKeptLab(user.id, `${courseSlug}/${lessonSlug}`)
}

/** The lesson page: the learner's kept work for it when it is about to be removed (null otherwise: it resumes by itself). */
export async function keptWarningFor(userId: string, courseSlug: string, lessonSlug: string): Promise<KeptWarning | null> {
  const work = await keptWorkForLesson(userId, `${courseSlug}/${lessonSlug}`)
  if (!work || work.status !== 'kept' || !work.expiresSoon || !work.expiresAt) return null
  return { keptMb: work.keptMb, lastUsedAt: work.lastUsedAt, expiresAt: work.expiresAt, keepDays: sandboxConfig().keepDays }
}
