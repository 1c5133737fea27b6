import 'server-only'
import fs from 'node:fs'
import path from 'node:path'
import type { ContentProblem } from './problems'
import type { Exercise, SandboxSpec } from './schema'
import type { WorkspaceEntry } from './workspace'

// What a lesson may name in `sandbox.images`: an image Quai builds offline (images/catalog.txt,
// served to sandboxes by the read-only registry mirror) or one that only a real registry has
// (images/registry-only.txt), which the lesson must then declare in `sandbox.registryOnly`.

export type ImageCatalog = { offline: Set<string>; registryOnly: Set<string> }

/** "nginx" → "nginx:latest", "docker.io/library/redis:8" → "redis:8". */
export function normalizeImageName(image: string): string {
  const bare = image.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '')
  return /:[^/]+$/.test(bare) || bare.includes('@') ? bare : `${bare}:latest`
}

export const repositoryOf = (image: string) => normalizeImageName(image).replace(/[:@][^/]*$/, '')

function tableRows(file: string): string[][] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.trimStart().startsWith('#'))
    .map((line) => line.split('|').map((cell) => cell.trim()))
}

export function loadImageCatalog(imagesDir: string = path.join(process.cwd(), 'images')): ImageCatalog {
  const offline = new Set<string>()
  for (const row of tableRows(path.join(imagesDir, 'catalog.txt'))) {
    for (const name of (row[4] ?? '').split(/\s+/).filter(Boolean)) offline.add(normalizeImageName(name))
  }
  const registryOnly = new Set(tableRows(path.join(imagesDir, 'registry-only.txt')).map((row) => repositoryOf(row[0]!)))
  return { offline, registryOnly }
}

/** Problems with a lesson's `sandbox.images` and `sandbox.registryOnly` against the catalogue. */
export function sandboxImageProblems(file: string, sandbox: SandboxSpec, catalog: ImageCatalog): ContentProblem[] {
  const problems: ContentProblem[] = []
  const declared = new Set(sandbox.registryOnly.map((r) => repositoryOf(r.image)))
  for (const [i, image] of sandbox.images.entries()) {
    if (catalog.offline.has(normalizeImageName(image))) continue
    const field = `sandbox.images[${i}]`
    if (!catalog.registryOnly.has(repositoryOf(image))) {
      problems.push({ file, field, message: `image "${image}" is not built offline (images/catalog.txt) nor listed in images/registry-only.txt: add a stand-in to the catalogue or use an image from it` })
    } else if (!declared.has(repositoryOf(image))) {
      problems.push({ file, field, message: `image "${image}" needs a registry: declare it in sandbox.registryOnly with the reason, so the lesson tells the learner` })
    }
  }
  return problems
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Whether a text (a script, a Compose file) names an image: `traefik:v3.6` is named by
 * "image: traefik:v3.6" or "docker run docker.io/library/traefik:v3.6", not by "traefik/whoami"
 * or "traefik:v2". An image given without a tag is named by any tag of its repository.
 */
export function mentionsImage(text: string, image: string): boolean {
  const bare = image.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '')
  // "traefik:latest" is also named by plain "traefik".
  const tagged = /[:@][^/]*$/.test(bare) && !bare.endsWith(':latest')
  const name = tagged ? bare : repositoryOf(bare)
  const tag = tagged ? '' : bare.endsWith(':latest') ? '(?::latest)?' : '(?:[:@][\\w.+:-]+)?'
  const before = '(?:^|[\\s"\'=\\[,(])(?:(?:docker\\.io|index\\.docker\\.io|registry-1\\.docker\\.io)/)?(?:library/)?'
  const after = '(?=$|[\\s"\'\\],)#;])'
  return new RegExp(`${before}${escapeRegex(name)}${tag}${after}`, 'm').test(text)
}

/** The text files a lesson's workspace seeds (the Compose files a solution starts, its scripts). */
export function workspaceTexts(entries: readonly WorkspaceEntry[], maxBytes = 256 * 1024): string[] {
  const texts: string[] = []
  for (const entry of entries) {
    if (entry.kind !== 'file' || fs.statSync(entry.full).size > maxBytes) continue
    const text = fs.readFileSync(entry.full, 'utf8')
    if (!text.includes('\u0000')) texts.push(text)
  }
  return texts
}

/**
 * Problems with the `registryOnly` of a lesson's exercises. An exercise that declares it is
 * skipped by the solvability test, so the declaration must be true: each image
 * - is not built offline (no tag of its repository is in images/catalog.txt: use that tag);
 * - is declared by the lesson in `sandbox.registryOnly`, whose reason the lesson page shows;
 * - is used by the exercise: its solution or setup, an earlier exercise's solution or setup
 *   (the state this one starts from), or a file of the lesson's workspace names it.
 * Fields are "exercises[i].registryOnly[j].image" in the exercises file.
 */
export function exerciseRegistryOnlyProblems(
  file: string,
  lesson: { sandbox: SandboxSpec | undefined; exercises: readonly Exercise[]; workspace: readonly string[] },
  catalog: ImageCatalog,
): ContentProblem[] {
  const problems: ContentProblem[] = []
  const declared = new Set((lesson.sandbox?.registryOnly ?? []).map((r) => repositoryOf(r.image)))
  const offlineTags = (repository: string) => [...catalog.offline].filter((name) => repositoryOf(name) === repository)
  lesson.exercises.forEach((exercise, i) => {
    const texts = [
      ...lesson.exercises.slice(0, i + 1).flatMap((e) => [e.setup ?? '', e.solution]),
      ...lesson.workspace,
    ]
    for (const [j, { image }] of (exercise.registryOnly ?? []).entries()) {
      const field = `exercises[${i}].registryOnly[${j}].image`
      const repository = repositoryOf(image)
      const offline = offlineTags(repository)
      if (catalog.offline.has(normalizeImageName(image))) {
        problems.push({ file, field, message: `image "${image}" is built offline (images/catalog.txt): the solvability test can run this exercise, so it must not be registryOnly` })
        continue
      }
      if (offline.length > 0) {
        problems.push({ file, field, message: `image "${image}" is not built offline, but images/catalog.txt has ${offline.join(', ')}: use one of them, so that the solvability test runs this exercise` })
        continue
      }
      if (!declared.has(repository)) {
        problems.push({ file, field, message: `image "${image}" is not declared by the lesson: list it in the frontmatter's sandbox.registryOnly with the reason, so the lesson page tells the learner` })
      }
      if (!texts.some((text) => mentionsImage(text, image))) {
        problems.push({ file, field, message: `image "${image}" is used neither by the solution or setup of this exercise or an earlier one, nor by a file of the lesson's workspace: only an image the solution needs can keep an exercise out of the solvability test` })
      }
    }
  })
  return problems
}
