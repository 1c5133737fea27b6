import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Assertion } from '../../../lib/checks/assertions'
import { renderAssertion } from '../../../lib/checks/render'
import { runChecks, type CheckRunResult } from '../../../lib/checks/run.server'
import type { CheckTarget, ExecOutput } from '../../../lib/checks/target'
import { loadContentTree, type LessonRecord } from '../../../lib/content/load.server'
import { lessonWorkdir } from '../../../lib/content/paths'
import type { Exercise } from '../../../lib/content/schema'
import { createLab, docker, shInNode, startTestNode, type Lab, type TestNode } from './support'

// The registryOnly exercises need Traefik, Grafana, cAdvisor or Trivy, which no offline image
// provides, so the solvability test does not run them. Their checks still run here: the real
// checks, read from content/, on one sandbox node, against states built from offline images
// (fixtures/stand-ins/, see its README): nginx routing by Host like Traefik's labels, nginx
// answering Grafana's API, busybox serving cAdvisor's /metrics to the real Prometheus, a
// Trivy-shaped report. For each exercise:
//   1. on an empty node every check fails (except the few that assert an absence);
//   2. on the stand-in state every assertion passes, with the same checklist lines;
//   3. a near miss (the state with one thing wrong) fails exactly the checks that look at it.

const contentDir = path.join(process.cwd(), 'content')
const standIns = path.join(import.meta.dirname, 'fixtures', 'stand-ins')

interface Expectation {
  /** Checks that pass on an empty node: they assert that something is absent. */
  passOnEmpty?: number[]
  /** The checks the near miss must fail (all others still pass), and what one of their lines says. */
  nearMiss: { failing: number[]; says: RegExp }
}

const expectations: Record<string, Expectation> = {
  'traefik/routage-par-labels#router-par-nom-d-hote': {
    nearMiss: { failing: [2], says: /^GET http:\/\/localhost\/ depuis node1 répond 200, attendu 404$/ },
  },
  'traefik/routage-par-labels#router-par-chemin': {
    nearMiss: { failing: [0, 1], says: /^GET http:\/\/localhost:8080\/api\/http\/routers\/api-chemin@docker depuis node1 répond 404, attendu 200$/ },
  },
  'traefik/https-et-certificats#https-de-bout-en-bout': {
    nearMiss: { failing: [2], says: /^Traefik présente le certificat CN=localhost et non TRAEFIK DEFAULT CERT : non vérifié/ },
  },
  'traefik/middlewares-et-repartition-de-charge#observer-la-repartition': {
    nearMiss: { failing: [1, 2], says: /Strict-Transport-Security/ },
  },
  'traefik/middlewares-et-repartition-de-charge#proteger-le-dashboard': {
    // "port 8080 is no longer published" holds on an empty node.
    passOnEmpty: [2],
    nearMiss: { failing: [2, 3], says: /admin-ip\.\*admin-auth/ },
  },
  'monitoring/promql-et-grafana#grafana-en-route': {
    nearMiss: { failing: [2], says: /route:http_requests:rate1m/ },
  },
  'monitoring/prometheus-et-exporters#ajouter-cadvisor': {
    nearMiss: { failing: [0, 1, 2], says: /cadvisor/ },
  },
  'projet-logstream/jalon-4-elastic#elastic-en-route': {
    nearMiss: { failing: [1], says: /Elasticsearch publie des ports sur node1/ },
  },
  'securite-conteneurs/secrets-et-analyse-d-images#scanner-avec-trivy': {
    nearMiss: { failing: [0], says: /^dans rapports\/trivy\.json, ArtifactName vaut node:20-slim, attendu quai\/fournisseur-api:1\.4$/ },
  },
}

const tree = loadContentTree(contentDir)
const registryOnly: { key: string; lesson: LessonRecord; exercise: Exercise }[] = tree.courses
  .flatMap((c) => c.lessons)
  .flatMap((lesson) => lesson.exercises.filter((e) => e.registryOnly?.length).map((exercise) => ({ key: `${lesson.key}#${exercise.id}`, lesson, exercise })))

/** Lesson images the stand-ins use, from the host's offline build. */
const images: [hostTag: string, name: string][] = [
  ['quai/lesson-nginx:latest', 'nginx:latest'],
  ['quai/lesson-prometheus:latest', 'prom/prometheus:latest'],
  // LogStream's collector and the Elasticsearch stand-in are Python (jalon-4-elastic).
  ['quai/lesson-python-flask:latest', 'quai/python-flask:3.13'],
]

let lab: Lab
let node: TestNode

beforeAll(async () => {
  lab = await createLab('regonly')
  node = await startTestNode(lab, 'node1')
  for (const [hostTag, name] of images) {
    await new Promise<void>((resolve, reject) => {
      const save = spawn('docker', ['save', hostTag])
      const load = spawn('docker', ['-H', `unix://${node.socket}`, 'load', '-q'])
      save.stdout.pipe(load.stdin)
      save.on('error', reject)
      load.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading ${hostTag} into the node failed (is it built? npm run images:build)`))))
    })
    await docker('-H', `unix://${node.socket}`, 'tag', hostTag, name)
  }
}, 600_000)

afterAll(() => lab?.cleanup())

/** bash in the lesson's working folder on the node, as checks and solutions run. */
const shIn = (workdir: string, script: string, timeoutMs: number): Promise<ExecOutput> => shInNode(node, workdir, script, timeoutMs)

async function mustRun(workdir: string, script: string, what: string): Promise<void> {
  const out = await shIn(workdir, script, 180_000)
  expect(out.exitCode, `${what} failed (exit ${out.exitCode}):\n${out.stdout.slice(-2000)}\n${out.stderr.slice(-2000)}`).toBe(0)
}

/** An empty node: no container, network or volume left by the previous exercise, an empty working folder. */
async function resetNode(workdir: string): Promise<void> {
  await mustRun('/root', [
    'docker ps -aq | xargs -r docker rm -f -v >/dev/null',
    'docker network prune -f >/dev/null',
    'docker volume prune -af >/dev/null',
    `rm -rf ${workdir} && mkdir -p ${workdir}/standin`,
  ].join(' && '), 'resetting the node')
}

const line = (a: Assertion) => `${a.passed ? '✓' : '✗'} [${a.check}] ${a.id}: ${renderAssertion(a)}`
const failingChecks = (r: CheckRunResult) => [...new Set(r.assertions.filter((a) => !a.passed).map((a) => a.check))].sort((a, b) => a - b)

describe('registryOnly exercises: their real checks against stand-in states', () => {
  test('every registryOnly exercise of the curriculum has a stand-in state here', () => {
    expect(registryOnly.map((r) => r.key).sort()).toEqual(Object.keys(expectations).sort())
    for (const { lesson, exercise } of registryOnly) expect(fs.existsSync(path.join(standIns, `${lesson.slug}--${exercise.id}`, 'state.sh')), exercise.id).toBe(true)
  })

  for (const { key, lesson, exercise } of registryOnly) {
    test(key, async () => {
      const expectation = expectations[key]
      if (!expectation) throw new Error(`no stand-in for ${key}: add tests/integration/checks/fixtures/stand-ins/${lesson.slug}--${exercise.id}/ and its expectations`)
      const workdir = lessonWorkdir(lesson.slug, tree.courses.find((c) => c.slug === lesson.courseSlug)?.index?.sharedSandbox ? lesson.courseSlug : null)
      const target: CheckTarget = { ...node.target, exec: (command, opts) => shIn(workdir, command, opts.timeoutMs) }
      const check = () => runChecks(exercise.checks, () => target, { defaultNode: 'node1', timeoutSeconds: exercise.timeoutSeconds })
      const every = exercise.checks.map((_, i) => i)

      await resetNode(workdir)
      const empty = await check()
      expect(empty.passed, `${key} passes on an empty node`).toBe(false)
      expect(failingChecks(empty), empty.assertions.map(line).join('\n')).toEqual(every.filter((i) => !expectation.passOnEmpty?.includes(i)))

      for (const dir of ['common', `${lesson.slug}--${exercise.id}`]) await docker('cp', `${path.join(standIns, dir)}/.`, `${node.container}:${workdir}/standin`)
      await mustRun(workdir, 'if [ -f standin/compose.yaml ]; then mv standin/compose.yaml .; fi && bash standin/state.sh', 'the stand-in state')
      const crafted = await check()
      console.log(`${key}: ${empty.passedCount}/${empty.totalCount} on an empty node, ${crafted.passedCount}/${crafted.totalCount} on the stand-in state (${crafted.durationMs} ms)`)
      expect(crafted.assertions.filter((a) => !a.passed).map(line), `${key} fails on its stand-in state`).toEqual([])
      expect(crafted.assertions.map((a) => a.id)).toEqual(empty.assertions.map((a) => a.id))

      await mustRun(workdir, 'bash standin/near-miss.sh', 'the near miss')
      const nearMiss = await check()
      const failures = nearMiss.assertions.filter((a) => !a.passed)
      expect(failingChecks(nearMiss), nearMiss.assertions.map(line).join('\n')).toEqual(expectation.nearMiss.failing)
      expect(failures.map((a) => renderAssertion(a)), failures.map(line).join('\n')).toContainEqual(expect.stringMatching(expectation.nearMiss.says))
    }, 300_000)
  }
})
