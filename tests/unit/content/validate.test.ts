import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { Callout } from '@/components/mdx/Callout'
import { Tab, Tabs } from '@/components/mdx/Tabs'
import { compileLesson } from '@/lib/content/compile.server'
import { loadContentTree } from '@/lib/content/load.server'
import { mentionsImage } from '@/lib/content/image-catalog.server'
import { calloutTypes } from '@/lib/content/mdx-plugins'
import { formatProblem, withExerciseId } from '@/lib/content/problems'
import { summaryLine, validateContent } from '@/lib/content/validate.server'

const fixtures = path.join(import.meta.dirname, '..', '..', 'fixtures')

describe('content validation', () => {
  it('accepts valid content and counts it', async () => {
    const { problems, summary } = await validateContent(loadContentTree(path.join(fixtures, 'content')))
    expect(problems.map((p) => formatProblem(p))).toEqual([])
    expect(summaryLine(summary)).toBe('content: 1 courses, 3 lessons, 2 exercises, 5 quiz questions, 1 open questions')
    // A course whose lessons share a sandbox is a project: its own line.
    expect(summaryLine({ ...summary, projects: [{ slug: 'projet-demo', lessons: 3, exercises: 4, openQuestions: 1 }] }).split('\n')).toEqual([
      'content: 1 courses, 3 lessons, 2 exercises, 5 quiz questions, 1 open questions',
      '  project projet-demo: 3 lessons, 4 graded exercises, 1 open questions',
    ])
  })

  it('names the file and the field of every problem in broken content', async () => {
    const root = path.join(fixtures, 'content-broken')
    const { problems } = await validateContent(loadContentTree(root))
    const lines = problems.map((p) => formatProblem(p, root))
    const expected: [string, string, string][] = [
      ['courses/bad/course.yaml', 'lessons[4]', 'no folder absente/'],
      ['courses/bad/course.yaml', 'lessons', 'orpheline/ is not listed'],
      ['courses/bad/frontmatter/lesson.mdx', 'duration', '>=1'],
      ['courses/bad/frontmatter/lesson.mdx', 'objectives', '>=1'],
      ['courses/bad/frontmatter/lesson.mdx', 'colour', 'Unrecognized key'],
      ['courses/bad/quiz/quiz.yaml', 'questions[0].answer', '"z" is not one of the choice ids'],
      ['courses/bad/quiz/quiz.yaml', 'questions[1].accept[0].pattern', 'invalid regular expression'],
      ['courses/bad/quiz/quiz.yaml', 'questions[2].type', 'single'],
      ['courses/bad/quiz/lesson.mdx', 'prerequisites[0]', 'no lesson "inexistante"'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0] (reseau).checks[0].kind', 'network'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0] (reseau).checks[1].drivr', 'Unrecognized key'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0] (reseau).checks[2].name', 'needs "name" or "service"'],
      ['courses/bad/exercices/exercises.yaml', 'exercises[0] (reseau).checks[3].stdout.matches', 'invalid regular expression /(?!y)x/: lookarounds'],
      ['courses/bad/exercices/lesson.mdx', '<Exercise id="fantome">', 'no exercise with this id'],
      ['courses/bad/liens/lesson.mdx', '(mdx)', 'import/export statements are not allowed in lessons (line 8)'],
      ['courses/bad/liens/lesson.mdx', '(mdx)', 'unknown component <Inconnu> (line 12)'],
      ['courses/bad/liens/lesson.mdx', '(mdx)', 'JavaScript expressions'],
      ['courses/cassé', '(folder name)', 'lower-case'],
      ['courses/cassé/course.yaml', 'order', 'expected number'],
    ]
    for (const [file, field, message] of expected) {
      expect(lines, `${file}: ${field}`).toContainEqual(expect.stringMatching(new RegExp(`^${escape(file)}: ${escape(field)}: .*${escape(message)}`)))
    }
  })

  // Each line names the file, the exercise (index and id) and the field, as an author reads them.
  const exerciseProblems = async (lesson: string) => {
    const root = path.join(fixtures, 'content-broken')
    const { problems } = await validateContent(loadContentTree(root))
    return problems.filter((p) => p.file.includes(`/courses/bad/${lesson}/`)).map((p) => formatProblem(p, root))
  }

  it('names a check or an exercise that targets a node the lesson does not have', async () => {
    expect(await exerciseProblems('noeuds')).toEqual([
      'courses/bad/noeuds/exercises.yaml: exercises[0] (sonder-le-worker).checks[1].node: exercise "sonder-le-worker": node "worker2" is not one of the lesson\'s sandbox nodes (manager, worker1)',
      'courses/bad/noeuds/exercises.yaml: exercises[1] (sur-un-noeud-absent).node: exercise "sur-un-noeud-absent": node "node9" is not one of the lesson\'s sandbox nodes (manager, worker1)',
    ])
  })

  it('names an exercise of exercises.yaml that the lesson text places nowhere', async () => {
    expect(await exerciseProblems('non-place')).toEqual([
      'courses/bad/non-place/exercises.yaml: exercises[1] (oublie): exercise "oublie" is placed nowhere in lesson.mdx: add <Exercise id="oublie" /> where it fits in the text, or remove it',
    ])
  })

  it('names, with its file and line, an image of a family whose latest tag moves without the version the sandbox serves', async () => {
    const lines = await exerciseProblems('versions')
    expect(lines.map((l) => l.replace(/ must name .*/, ' must name…'))).toEqual([
      'courses/bad/versions/lesson.mdx: line 12: image "postgres" must name…',
      'courses/bad/versions/lesson.mdx: line 13: image "redis:8" is not in the lesson\'s sandbox.images: add it there',
      'courses/bad/versions/exercises.yaml: exercises[0] (base).hints[0], line 6: image "postgres:16" must name…',
      'courses/bad/versions/exercises.yaml: exercises[0] (base).solution, line 8: image "postgres:latest" must name…',
      'courses/bad/versions/exercises.yaml: exercises[0] (base).solution, line 10: image "redis:8" is not in the lesson\'s sandbox.images: add it there',
      'courses/bad/versions/workspace/compose.yaml: line 5: image "prom/prometheus" must name…',
      'courses/bad/versions/workspace/compose.yaml: line 3: image "postgres:17" is not in the lesson\'s sandbox.images: add it there',
    ])
    expect(lines[0]).toContain('must name the version the sandbox serves (postgres:17)')
    expect(lines[5]).toContain('(prom/prometheus:v2.53.3)')
  })

  it('refuses an author pattern that backtracks catastrophically or that RE2 cannot run, naming the file and the pattern', async () => {
    const catastrophic = (pattern: string) => new RegExp(`pattern ${escape(pattern)} can backtrack catastrophically: a backtracking engine takes exponential time on '.+'`)
    expect(await exerciseProblems('motifs')).toEqual([
      expect.stringMatching(/^courses\/bad\/motifs\/exercises\.yaml: exercises\[0\] \(sortie-exponentielle\)\.checks\[0\]\.stdout\.matches: /),
      expect.stringMatching(/^courses\/bad\/motifs\/exercises\.yaml: exercises\[0\] \(sortie-exponentielle\)\.checks\[1\]\.matches\[1\]: /),
      expect.stringMatching(/^courses\/bad\/motifs\/quiz\.yaml: questions\[0\]\.accept\[0\]\.pattern: /),
      'courses/bad/motifs/quiz.yaml: questions[0].accept[1].pattern: invalid regular expression /^(\\w+) \\1$/i: backreferences (\\1) are not supported: RE2 matches in linear time and cannot compare with an earlier group',
      'courses/bad/motifs/quiz.yaml: questions[1].accept[0].pattern: invalid regular expression /^--(?=net)network$/i: lookarounds ((?=…), (?!…), (?<=…), (?<!…)) are not supported: RE2 matches in linear time without them',
    ])
    const [output, file, quiz] = await exerciseProblems('motifs')
    expect(output).toMatch(catastrophic('/(a+)+$/m'))
    expect(file).toMatch(catastrophic('/^(\\w+\\s?)*$/m'))
    expect(quiz).toMatch(catastrophic('/^(a|a)*$/i'))
    // The other pattern of the same file check, ^\s*ok\s*$, is polynomial at worst: RE2 reads it in linear time, it passes.
  })

  it('names a duplicate exercise id at its second use', async () => {
    expect(await exerciseProblems('doublons')).toEqual(['courses/bad/doublons/exercises.yaml: exercises[1] (creer-reseau).id: duplicate exercise id "creer-reseau"'])
  })

  it('names the exercises of a lesson that has no sandbox block', async () => {
    expect(await exerciseProblems('sans-bac')).toEqual([
      'courses/bad/sans-bac/lesson.mdx: sandbox: this lesson has exercises, so its frontmatter needs a sandbox block: exercises.yaml has exercises[0] (lancer-nginx), exercises[1] (publier-le-port)',
    ])
  })

  it('names impossible values, and does not report the unloaded exercise as missing from the MDX', async () => {
    expect(await exerciseProblems('impossibles')).toEqual([
      'courses/bad/impossibles/exercises.yaml: exercises[0] (valeurs-impossibles).checks[0].replicas: Too small: expected number to be >=0',
      'courses/bad/impossibles/exercises.yaml: exercises[0] (valeurs-impossibles).checks[1].exitCode: Too big: expected number to be <=255',
      'courses/bad/impossibles/exercises.yaml: exercises[0] (valeurs-impossibles).checks[2].ports[0].container: Too big: expected number to be <=65535',
      'courses/bad/impossibles/exercises.yaml: exercises[0] (valeurs-impossibles).checks[3].running: "running" cannot be checked on something that must not exist (exists: false)',
      'courses/bad/impossibles/exercises.yaml: exercises[0] (valeurs-impossibles).checks[4].status: Too big: expected number to be <=599',
    ])
  })

  it('names a Callout of an unknown type, a Tab without a label, text between tabs and a Tab outside Tabs, with their line', async () => {
    expect(await exerciseProblems('composants')).toEqual([
      'courses/bad/composants/lesson.mdx: (mdx): <Callout type="note"> is not a known type (line 8); use one of: info, tip, warning, danger',
      'courses/bad/composants/lesson.mdx: (mdx): <Tab> needs a label="…" (line 20); a tab without one is not shown',
      'courses/bad/composants/lesson.mdx: (mdx): <Tab> needs a label="…" (line 25); a tab without one is not shown',
      'courses/bad/composants/lesson.mdx: (mdx): <Tabs> may hold only <Tab> elements (line 32): the text (line 33) between them is never shown',
      'courses/bad/composants/lesson.mdx: (mdx): <Tab> must be inside <Tabs> (line 42); alone its content shows with neither tab nor label',
    ])
  })

  it('lets an exercise skip the solvability test only for a registry-only image the lesson declares and the solution uses', async () => {
    const lines = await exerciseProblems('registre')
    expect(lines).toEqual([
      expect.stringMatching(/^courses\/bad\/registre\/exercises\.yaml: exercises\[0\] \(nginx-hors-ligne\)\.registryOnly\[0\]\.image: image "nginx" is built offline \(images\/catalog\.txt\)/),
      expect.stringMatching(/^courses\/bad\/registre\/exercises\.yaml: exercises\[1\] \(version-absente\)\.registryOnly\[0\]\.image: image "nginx:1\.99" is not built offline, but images\/catalog\.txt has nginx:latest, nginx:1\.26, nginx:1: use one of them/),
      expect.stringMatching(/^courses\/bad\/registre\/exercises\.yaml: exercises\[2\] \(grafana-non-declaree\)\.registryOnly\[0\]\.image: image "grafana\/grafana:12\.0\.0" is not declared by the lesson: list it in the frontmatter's sandbox\.registryOnly/),
      expect.stringMatching(/^courses\/bad\/registre\/exercises\.yaml: exercises\[3\] \(traefik-inutile\)\.registryOnly\[0\]\.image: image "traefik:v3\.6" is used neither by the solution or setup/),
    ])
    // exercises[4] (traefik-utilise) declares traefik:v3.6, which the lesson lists and its solution runs: accepted.
  })

  it('reports broken internal links once the lesson compiles', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-content-'))
    fs.cpSync(path.join(fixtures, 'content'), root, { recursive: true })
    const file = path.join(root, 'courses/demo/lecture/lesson.mdx')
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('../quiz-lesson', '../nowhere').replace('/courses/demo/labo', '/courses/nope/labo'))
    const { problems } = await validateContent(loadContentTree(root))
    fs.rmSync(root, { recursive: true, force: true })
    expect(problems.map((p) => p.field)).toEqual(['link ../nowhere', 'link /courses/nope/labo'])
  })
})

describe('registryOnly: what counts as using an image', () => {
  it('finds an image in a Compose file or a command, by repository and tag', () => {
    expect(mentionsImage('services:\n  traefik:\n    image: traefik:v3.6\n', 'traefik:v3.6')).toBe(true)
    expect(mentionsImage('docker run --rm -v "$PWD:/r" \\\n  aquasec/trivy:0.58.1 image x', 'aquasec/trivy:0.58.1')).toBe(true)
    expect(mentionsImage('docker run docker.io/library/traefik:v3.6', 'traefik:v3.6')).toBe(true)
    expect(mentionsImage('image: "traefik"', 'traefik:latest')).toBe(true)
    expect(mentionsImage('image: gcr.io/cadvisor/cadvisor:v0.49.1', 'gcr.io/cadvisor/cadvisor')).toBe(true)
    // Another repository, another tag, or the name in a sentence is not a use.
    expect(mentionsImage('image: traefik/whoami', 'traefik')).toBe(false)
    expect(mentionsImage('image: traefik:v2.11', 'traefik:v3.6')).toBe(false)
    expect(mentionsImage('# le reverse proxy traefikien', 'traefik')).toBe(false)
    expect(mentionsImage('curl http://grafana:3000/', 'grafana/grafana:12.0.0')).toBe(false)
  })

  it('names exercises by index and id, keeping the field path', () => {
    expect(withExerciseId('exercises[0].checks[1].drivr', ['creer-reseau'])).toBe('exercises[0] (creer-reseau).checks[1].drivr')
    expect(withExerciseId('exercises[2]', ['a', 'b'])).toBe('exercises[2]')
    expect(withExerciseId('exercises', ['a'])).toBe('exercises')
  })
})

// What content:check accepts is what the components really render: the two rules above guard
// against their silent fallbacks.
describe('author components and their content:check rules', () => {
  const callout = (type?: string) => renderToStaticMarkup(createElement(Callout, { type, title: 'Titre' }, 'Texte'))

  it('knows exactly the Callout types the component styles; any other looks like info', () => {
    const looks = new Set(calloutTypes.map((type) => callout(type)))
    expect(looks.size).toBe(calloutTypes.length)
    expect(callout()).toBe(callout('info'))
    expect(callout('note')).toBe(callout('info'))
    expect(callout('tip')).toContain('role="note"')
  })

  it('shows a Tab only with a label, hence the rule', () => {
    const html = renderToStaticMarkup(
      createElement(Tabs, null, createElement(Tab, { label: 'Un' }, 'premier'), createElement(Tab, {} as { label: string }, 'sans étiquette')),
    )
    expect(html.match(/role="tab"/g)).toHaveLength(1)
    expect(html).toContain('premier')
    expect(html).not.toContain('sans étiquette')
  })
})

describe('lesson compilation', () => {
  it('builds the table of contents, highlights code and turns mermaid into a diagram', async () => {
    const tree = loadContentTree(path.join(fixtures, 'content'))
    const lesson = tree.courses[0]!.lessons[0]!
    const compiled = await compileLesson(lesson.mdxPath, lesson.source)
    expect(compiled.toc).toEqual([
      { id: 'première-partie', text: 'Première partie', depth: 2 },
      { id: 'seconde-partie', text: 'Seconde partie', depth: 2 },
    ])
    expect(compiled.code).toMatch(/docker[\s\S]*network[\s\S]*ls/)
    // The copy and run buttons read the block's text in the page: it is not sent a second time (code-text.test.ts).
    expect(compiled.code).not.toMatch(/dataRaw|"data-raw"/)
    expect(compiled.code).toContain('Mermaid')
    expect(compiled.links).toEqual(['../quiz-lesson', '/courses/demo/labo'])
  })
})

function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
