import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { failingLines, solutionRunAssertions } from '../../../lib/authoring/solution-checklist'
import { runChecks, type CheckRunResult } from '../../../lib/checks/run.server'
import type { CheckTarget, ExecOutput } from '../../../lib/checks/target'
import type { Check } from '../../../lib/content/check-kinds'
import { loadContentTree, type LessonRecord } from '../../../lib/content/load.server'
import { lessonWorkdir } from '../../../lib/content/paths'
import { contentRoot } from '../../../lib/content/root.server'
import { lessonWorkspace } from '../../../lib/content/workspace'
import { createLab, docker, shInNode, startTestNode, type Lab, type TestNode } from './support'

// Solvable by construction: for every exercise of every hands-on lesson under content/, on a
// fresh sandbox with the lesson's nodes, the checks FAIL before the solution and PASS after
// `setup` (if any) and `solution` ran in the node. Exercises of a lesson run in order in the
// same sandbox, as a learner does them. Exercises marked registryOnly are listed with their
// reason and not run here: registry-only.test.ts runs their checks against stand-in states,
// and content:check accepts registryOnly only for a registry-only image the lesson declares
// and the solution uses.
//
// The lessons are split between the files solvability.<shard>.test.ts, which Vitest runs in
// parallel (most of the time goes to waiting: health checks, Swarm converging). The whole
// curriculum takes about 17 minutes on a 2-core machine in two shards.
//
// A course whose lessons share one sandbox (course.yaml sharedSandbox: true: a project built
// milestone after milestone) is one unit instead: its lessons run in order in ONE lab, each
// lesson's images loaded and workspace copied when the suite reaches it, so a milestone's
// solution starts from what the previous milestones left, as the learner's does. Such a course
// goes to the shard of its first hands-on lesson; every other lesson keeps its fresh lab and
// its shard.
//
//   QUAI_SOLVABILITY_LESSON=reseaux-docker/sous-reseaux-et-dns   only that lesson (or a course), in the first shard
//                                                                (a lesson of a shared-sandbox course brings the
//                                                                course's earlier lessons, which it builds on)
//   QUAI_CONTENT_DIR=examples/content                             another content folder (default: content/)
//
// The sandbox: nodes from Quai's sandbox image (caps mode), started by this test on an internal
// network of their own, with the lesson's images loaded from the host's build
// (images/catalog.txt). This keeps the test independent of lib/sandbox's configuration (cgroup
// parents, loop disks, the registry mirror), which its own tests cover; the checks themselves
// go through lib/sandbox in sandbox.test.ts.

const run = promisify(execFile)
const only = process.env.QUAI_SOLVABILITY_LESSON

/** What one lab runs: a lesson, or every lesson of a shared-sandbox course, in order. */
interface Unit {
  key: string
  lessons: LessonRecord[]
}

/** This shard's units, in curriculum order (round robin over lessons, so slow courses spread out). */
function unitsOfShard(shard: number, shards: number): Unit[] {
  const tree = loadContentTree(contentRoot())
  const sharedCourses = new Set(tree.courses.filter((c) => c.index?.sharedSandbox).map((c) => c.slug))
  const handsOn = tree.courses.flatMap((c) => c.lessons).filter((l) => l.frontmatter?.sandbox && l.exercises.length > 0 && l.problems.length === 0)
  let picked: LessonRecord[]
  if (only) {
    if (shard !== 1) return []
    const target = handsOn.find((l) => l.key === only)
    picked = target && sharedCourses.has(target.courseSlug)
      ? handsOn.slice(handsOn.findIndex((l) => l.courseSlug === target.courseSlug), handsOn.indexOf(target) + 1)
      : handsOn.filter((l) => l.key === only || l.courseSlug === only)
  } else {
    const shardOf = (l: LessonRecord) => {
      const i = sharedCourses.has(l.courseSlug) ? handsOn.findIndex((x) => x.courseSlug === l.courseSlug) : handsOn.indexOf(l)
      return (i % shards) + 1
    }
    picked = handsOn.filter((l) => shardOf(l) === shard)
  }
  const units: Unit[] = []
  for (const lesson of picked) {
    const last = units.at(-1)
    if (sharedCourses.has(lesson.courseSlug) && last?.lessons[0]?.courseSlug === lesson.courseSlug) last.lessons.push(lesson)
    else units.push({ key: sharedCourses.has(lesson.courseSlug) ? `${lesson.courseSlug} (one shared sandbox)` : lesson.key, lessons: [lesson] })
  }
  return units
}

// ---------------------------------------------------------------- lesson images

/** Lesson image names ("nginx", "prom/prometheus", "node:20-slim") → the host tag that stands in for them. */
function imageCatalog(): Map<string, string> {
  const map = new Map<string, string>()
  const file = path.join(process.cwd(), 'images/catalog.txt')
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const [tag, , , , mirrors] = line.split('|').map((s) => s.trim())
    if (!tag || !mirrors) continue
    const hostTag = tag.startsWith('@') ? 'debian:trixie-slim' : tag.includes(':') ? tag : `${tag}:latest`
    for (const name of mirrors.split(/\s+/)) map.set(name.replace(/^library\//, ''), hostTag)
  }
  return map
}
const catalog = imageCatalog()
const withTag = (image: string) => (/:[^/]+$/.test(image) ? image : `${image}:latest`)

const saved = new Map<string, Promise<string>>()
const tarDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-solv-images-'))
function saveImage(hostTag: string): Promise<string> {
  let pending = saved.get(hostTag)
  if (!pending) {
    const file = path.join(tarDir, `${hostTag.replace(/[/:]/g, '_')}.tar`)
    pending = run('docker', ['save', '-o', file, hostTag], { maxBuffer: 1 << 20 }).then(() => file)
    saved.set(hostTag, pending)
  }
  return pending
}

async function loadImages(node: TestNode, images: string[]): Promise<void> {
  for (const image of images) {
    const name = withTag(image)
    const hostTag = catalog.get(name)
    if (!hostTag) throw new Error(`lesson image ${image} is not in images/catalog.txt (nor in registryOnly)`)
    const tar = await saveImage(hostTag)
    await run('docker', ['-H', `unix://${node.socket}`, 'load', '-q', '-i', tar], { maxBuffer: 1 << 20 })
    await run('docker', ['-H', `unix://${node.socket}`, 'tag', hostTag, name])
    // Compose and `docker run nginx` name the image without a tag.
    if (name.endsWith(':latest')) await run('docker', ['-H', `unix://${node.socket}`, 'tag', hostTag, name.replace(/:latest$/, '')]).catch(() => undefined)
  }
}

// ---------------------------------------------------------------- sandbox driver

interface SolvabilitySandbox {
  target(node: string): CheckTarget
  sh(node: string, script: string, timeoutMs: number): Promise<ExecOutput>
  close(): Promise<void>
}

/** The files seeding puts in a learner's lesson folder, staged in a temporary folder for `docker cp`. */
function stageWorkspace(lesson: LessonRecord): string | null {
  const entries = lessonWorkspace(lesson)
  if (entries.length === 0) return null
  const staged = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-workspace-'))
  for (const entry of entries) {
    const to = path.join(staged, entry.rel)
    if (entry.kind === 'dir') fs.mkdirSync(to, { mode: entry.mode })
    else fs.copyFileSync(entry.full, to)
    fs.chmodSync(to, entry.mode)
  }
  return staged
}

/** The lesson's folder in the nodes, as the product computes it (lessons.server.ts lessonFolder): the course's folder when it shares one sandbox. */
const sharedCourseSlugs = new Set(loadContentTree(contentRoot()).courses.filter((c) => c.index?.sharedSandbox).map((c) => c.slug))
const workdirOf = (lesson: LessonRecord) => lessonWorkdir(lesson.slug, sharedCourseSlugs.has(lesson.courseSlug) ? lesson.courseSlug : null)

/**
 * The files of a lesson: its images loaded in each node, its workspace copied to its folder.
 * Like the product's seeding (lib/sandbox/lesson-files.server.ts), a file already there is kept:
 * in a shared sandbox's folder it is the learner's (an earlier milestone's solution wrote it).
 */
async function prepareLesson(nodes: TestNode[], lesson: LessonRecord): Promise<void> {
  const workdir = workdirOf(lesson)
  const staged = stageWorkspace(lesson)
  try {
    for (const node of nodes) {
      await loadImages(node, lesson.frontmatter!.sandbox!.images)
      await node.sh(`mkdir -p ${workdir}`)
      if (!staged) continue
      // No overwrite (tar --skip-old-files) from a copy staged in the node, as seeding keeps what exists.
      const inbox = `/tmp/quai-workspace-${lesson.slug}`
      await docker('cp', staged, `${node.container}:${inbox}`)
      const copy = await node.sh(`tar -C ${inbox} -cf - . | tar -C ${workdir} -xf - --skip-old-files && rm -rf ${inbox}`)
      if (copy.exitCode !== 0) throw new Error(`copying ${lesson.key}'s workspace failed: ${copy.stderr}`)
    }
  } finally {
    if (staged) fs.rmSync(staged, { recursive: true, force: true })
  }
}

/** A lab with the first lesson's nodes. `enter(lesson)` prepares a (later) lesson of a shared sandbox in it. */
async function openSandbox(first: LessonRecord): Promise<SolvabilitySandbox & { enter(lesson: LessonRecord): Promise<void> }> {
  const spec = first.frontmatter!.sandbox!
  const lab: Lab = await createLab(`solv-${first.slug.slice(0, 12)}`)
  // Internal: like a real sandbox, the nodes reach each other but nothing outside.
  await docker('network', 'create', '--internal', lab.n('nodes'))
  const nodes = new Map<string, TestNode>()
  for (const n of spec.nodes) {
    nodes.set(n.name, await startTestNode(lab, n.name, { hostname: n.name, network: lab.n('nodes') }))
  }
  await prepareLesson([...nodes.values()], first)
  let workdir = workdirOf(first)
  const shIn = (node: TestNode, script: string, timeoutMs: number): Promise<ExecOutput> => shInNode(node, workdir, script, timeoutMs)
  const get = (name: string) => {
    const node = nodes.get(name)
    if (!node) throw new Error(`the lesson has no node ${name}`)
    return node
  }
  return {
    target: (name) => ({ ...get(name).target, exec: (command, opts) => shIn(get(name), command, opts.timeoutMs) }),
    sh: (name, script, timeoutMs) => shIn(get(name), script, timeoutMs),
    close: () => lab.cleanup(),
    enter: async (lesson) => {
      if (lesson !== first) await prepareLesson([...nodes.values()], lesson)
      workdir = workdirOf(lesson)
    },
  }
}

// ---------------------------------------------------------------- the test

/** The failing lines, each under the label its author gave the check. */
const failures = (checks: readonly Check[], r: CheckRunResult) => failingLines(solutionRunAssertions(checks, r.assertions, 'fr'))

/** The solvability test of one shard: call it from a solvability.<n>.test.ts file. */
export function solvabilitySuite(shard: number, shards: number): void {
  const units = unitsOfShard(shard, shards)
  const lessons = units.flatMap((u) => u.lessons)
  const registryOnly = lessons.flatMap((l) => l.exercises.filter((e) => e.registryOnly?.length).map((e) => `${l.key}#${e.id}: ${e.registryOnly!.map((r) => `${r.image} (${r.reason})`).join('; ')}`))

  test('hands-on lessons were found', () => {
    if (only && shard !== 1) return
    expect(lessons.length).toBeGreaterThan(0)
    if (registryOnly.length) console.log(`registryOnly exercises, not run:\n${registryOnly.map((l) => `  - ${l}`).join('\n')}`)
  })

  afterAll(() => fs.rmSync(tarDir, { recursive: true, force: true }))

  for (const unit of units) {
    describe(unit.key, () => {
      let sandbox: Awaited<ReturnType<typeof openSandbox>>
      beforeAll(async () => {
        sandbox = await openSandbox(unit.lessons[0]!)
      }, 600_000)
      afterAll(() => sandbox?.close())

      // A lone lesson keeps its tests directly under its name; a shared sandbox's lessons
      // each get a describe block, entered in order (its images and files added on the way).
      if (unit.lessons.length === 1 && unit.key === unit.lessons[0]!.key) lessonTests(unit.lessons[0]!, () => sandbox)
      else for (const lesson of unit.lessons) {
        describe(lesson.key, () => {
          beforeAll(() => sandbox.enter(lesson), 600_000)
          lessonTests(lesson, () => sandbox)
        })
      }
    })
  }
}

/** One test per exercise of the lesson, in order, in the sandbox the unit opened. */
function lessonTests(lesson: LessonRecord, current: () => SolvabilitySandbox): void {
  const firstNode = lesson.frontmatter!.sandbox!.nodes[0]!.name
  for (const exercise of lesson.exercises) {
    const runnable = !exercise.registryOnly?.length
    test(`${exercise.id}${runnable ? '' : ' (registryOnly: checks run on stand-ins in registry-only.test.ts)'}`, async () => {
      if (!runnable) return
      const sandbox = current()
      const node = exercise.node ?? firstNode
      const budget = (exercise.timeoutSeconds + 60) * 1000
      const check = () => runChecks(exercise.checks, (n) => sandbox.target(n), { defaultNode: node, timeoutSeconds: exercise.timeoutSeconds })
      if (exercise.setup) {
        const setup = await sandbox.sh(node, exercise.setup, budget)
        expect(setup.exitCode, `setup failed:\n${setup.stdout}\n${setup.stderr}`).toBe(0)
      }
      const before = await check()
      expect(before.passed, `${lesson.key}#${exercise.id} passes with no work`).toBe(false)
      const solution = await sandbox.sh(node, exercise.solution, 300_000)
      expect(solution.exitCode, `solution failed (exit ${solution.exitCode}):\n${solution.stdout.slice(-2000)}\n${solution.stderr.slice(-2000)}`).toBe(0)
      const after = await check()
      console.log(`${after.passed ? '✓' : '✗'} ${lesson.key}#${exercise.id}: fails before (${before.passedCount}/${before.totalCount}), ${after.passed ? 'passes' : 'still fails'} after (${after.passedCount}/${after.totalCount}) in ${after.durationMs} ms`)
      if (!after.passed) console.log(failures(exercise.checks, after).join('\n'))
      expect(after.passed, `${lesson.key}#${exercise.id} still fails after its solution:\n${failures(exercise.checks, after).join('\n')}`).toBe(true)
      // The checklist keeps its shape: the same lines before and after, only their state changes.
      expect(after.assertions.map((a) => a.id)).toEqual(before.assertions.map((a) => a.id))
    }, 600_000)
  }
}
