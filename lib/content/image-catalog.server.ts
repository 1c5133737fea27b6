import 'server-only'
import fs from 'node:fs'
import path from 'node:path'
import type { ContentProblem } from './problems'
import type { SandboxSpec } from './schema'

// What a lesson may name in `sandbox.images`: an image Quai builds offline (images/catalog.txt,
// served to sandboxes by the read-only registry mirror) or one that only a real registry has
// (images/registry-only.txt), which the lesson must then declare in `sandbox.registryOnly`.

export type ImageCatalog = { offline: Set<string>; registryOnly: Set<string> }

/** "nginx" → "nginx:latest", "docker.io/library/redis:8" → "redis:8". */
export function normalizeImageName(image: string): string {
  const bare = image.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '')
  return /:[^/]+$/.test(bare) || bare.includes('@') ? bare : `${bare}:latest`
}

const repositoryOf = (image: string) => normalizeImageName(image).replace(/[:@][^/]*$/, '')

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
