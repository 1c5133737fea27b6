import 'server-only'
import { getLesson, lessonFolder, type LessonRecord } from '../content/lessons.server'
import type { Exercise } from '../content/schema'
import { recordAttempt, type ExerciseTrigger, type RecordedAttempt } from '../progress/exercises.server'
import { UnknownExerciseError } from './errors'
import { runChecks, type CheckRunResult } from './run.server'
import type { CheckTarget } from './target'

// The path of a learner's "Vérifier": find the exercise, make sure the sandbox is theirs and
// running, read it, store the attempt. Sandbox access comes in as an interface so that the
// checks do not depend on how sandboxes are run (lib/checks/check-targets.server.ts wires
// lib/sandbox; tests pass the host daemon).

export interface SandboxAccess {
  /**
   * Throws CheckError 'sandbox_forbidden' when the sandbox is not this user's, and
   * 'sandbox_not_running' when it is not running. Returns the sandbox's node names.
   */
  requireRunning(userId: string, sandboxId: string): Promise<{ nodes: string[] }>
  /**
   * A target on one node of a running sandbox; its commands run in `workdir`, the lesson's working
   * folder (lessons.server.ts lessonFolder, where the lesson's files are), or the lab folder when none is given.
   */
  target(sandboxId: string, node: string, workdir?: string): Promise<CheckTarget>
  /**
   * After a learner's "Vérifier" that passed: keep a step of the sandbox (a snapshot the learner
   * can go back to). Best effort: a failure is logged, never the check's answer.
   */
  keepStep?(sandboxId: string, lessonKey: string, exerciseId: string): Promise<void>
}

export interface ExerciseLocation {
  lesson: LessonRecord
  exercise: Exercise
  /** The node checks read unless they name one: the exercise's, else the lesson's first. */
  defaultNode: string
}

export function findExercise(courseSlug: string, lessonSlug: string, exerciseId: string): ExerciseLocation {
  const lesson = getLesson(courseSlug, lessonSlug)
  const exercise = lesson?.exercises.find((e) => e.id === exerciseId)
  if (!lesson || !exercise) throw new UnknownExerciseError(courseSlug, lessonSlug, exerciseId)
  return { lesson, exercise, defaultNode: exercise.node ?? lesson.frontmatter?.sandbox?.nodes[0]?.name ?? 'node1' }
}

export interface CheckRequest {
  userId: string
  sandboxId: string
  courseSlug: string
  lessonSlug: string
  exerciseId: string
  trigger: ExerciseTrigger
}

export interface CheckOutcome {
  result: CheckRunResult
  attempt: RecordedAttempt
}

/** Run an exercise's checks on the learner's sandbox and record the attempt (all or nothing). */
export async function checkExercise(request: CheckRequest, access: SandboxAccess): Promise<CheckOutcome> {
  const { lesson, exercise, defaultNode } = findExercise(request.courseSlug, request.lessonSlug, request.exerciseId)
  await access.requireRunning(request.userId, request.sandboxId)
  const workdir = lessonFolder(lesson)
  const result = await runChecks(exercise.checks, (node) => access.target(request.sandboxId, node, workdir), {
    defaultNode,
    timeoutSeconds: exercise.timeoutSeconds,
  })
  // Only a complete run reaches this line: a timeout or a lost daemon threw above, so no
  // attempt is ever stored half-evaluated.
  const attempt = await recordAttempt({
    userId: request.userId,
    courseSlug: request.courseSlug,
    lessonSlug: request.lessonSlug,
    exerciseId: request.exerciseId,
    trigger: request.trigger,
    result,
    checks: exercise.checks,
  })
  // At the checks' own moment, never in the middle of a command: the learner asked for them.
  if (result.passed && request.trigger === 'manual' && access.keepStep) {
    await access.keepStep(request.sandboxId, `${request.courseSlug}/${request.lessonSlug}`, request.exerciseId).catch((error: unknown) => console.warn(`[checks] step of ${request.sandboxId}: ${(error as Error).message}`))
  }
  return { result, attempt }
}
