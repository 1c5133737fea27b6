import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { ClassError } from '../classes/errors'
import { findExercise } from '../checks/exercise.server'
import { runChecks } from '../checks/run.server'
import { getSandboxAccess } from '../checks/check-targets.server'
import { lessonFolder } from '../content/lessons.server'
import { execInNode } from '../sandbox/node-access.server'
import { endSandbox, getCurrentSandbox } from '../sandbox/sandboxes.server'
import { openSandboxForLesson } from '../workspace/service.server'
import type { SolutionRun, SolutionRunAssertion } from '../classes/schemas'
import { solutionRunAssertions } from './solution-checklist'

// The authoring side of the instructor space: running an exercise's solution in a fresh
// sandbox to see its checks fail before and pass after (the preview's other half is
// preview.server.ts). Instructors only.

export type { SolutionRun, SolutionRunAssertion }

const solutionBudgetMs = 180_000

/**
 * Opens a fresh sandbox for the instructor (their current one, if any, is ended first: a
 * sandbox left from an earlier try must not make the checks pass), brings it to where the
 * exercise starts (its setup; on a multi-node lesson, the earlier exercises replayed first),
 * runs the checks, the solution in the lesson's working folder, and the checks again: the
 * same sequence as the solvability test.
 * Nothing is recorded as an attempt. The checks reach the sandbox the way a learner's
 * "Vérifier" does (lib/checks/check-targets.server.ts).
 */
export async function runSolutionInFreshSandbox(user: SessionUser, ref: { courseSlug: string; lessonSlug: string; exerciseId: string }, locale: 'fr' | 'en'): Promise<SolutionRun> {
  if (user.role !== 'instructor') throw new ClassError('not_class_instructor', 'only instructors run solutions')
  const started = performance.now()
  const { lesson, exercise, defaultNode } = findExercise(ref.courseSlug, ref.lessonSlug, ref.exerciseId)

  const current = await getCurrentSandbox(user.id)
  if (current) await endSandbox(current.id, 'reset')
  // The workspace's own opening: the lesson's layout and its files in the working folder.
  const sandbox = await openSandboxForLesson(user, { courseSlug: lesson.courseSlug, lessonSlug: lesson.slug })

  const access = getSandboxAccess()
  const check = async () => {
    const result = await runChecks(exercise.checks, (node) => access.target(sandbox.id, node, lessonFolder(lesson)), { defaultNode, timeoutSeconds: exercise.timeoutSeconds })
    return {
      passed: result.passed,
      assertions: solutionRunAssertions(exercise.checks, result.assertions, locale),
    }
  }
  const run = (node: string, script: string) =>
    execInNode(sandbox.id, node, ['bash', '-c', script], { workingDir: lessonFolder(lesson), timeoutMs: solutionBudgetMs, maxOutputBytes: 64 * 1024 })
  // A `setup` runs on its exercise's node only. On a multi-node lesson, what earlier exercises
  // did on other nodes (a worker joining the swarm) is replayed: their setup and solution, in order.
  const earlier = lesson.exercises.slice(0, lesson.exercises.findIndex((e) => e.id === exercise.id))
  const replayed: string[] = []
  if ((lesson.frontmatter?.sandbox?.nodes.length ?? 1) > 1) {
    for (const previous of earlier.filter((e) => !e.registryOnly?.length)) {
      const node = previous.node ?? lesson.frontmatter?.sandbox?.nodes[0]?.name ?? defaultNode
      const out = await run(node, [previous.setup, previous.solution].filter(Boolean).join('\n'))
      replayed.push(`[${previous.id} on ${node}: exit ${out.exitCode ?? '?'}]`)
    }
  }
  if (exercise.setup) {
    const out = await run(defaultNode, exercise.setup)
    replayed.push(`[setup: exit ${out.exitCode ?? '?'}]`)
  }
  const before = await check()
  const out = await run(defaultNode, exercise.solution)
  const after = await check()
  const output = [...replayed, `${out.stdout}${out.stderr ? `\n${out.stderr}` : ''}`.trim()].join('\n').trim()
  return {
    sandboxId: sandbox.id,
    before,
    solution: { exitCode: out.exitCode ?? -1, output: output.length > 8000 ? `${output.slice(0, 8000)}\n…` : output, timedOut: out.timedOut },
    after,
    ok: !before.passed && after.passed,
    durationMs: Math.round(performance.now() - started),
  }
}
