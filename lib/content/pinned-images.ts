// Images whose latest tag moves to a new major version that breaks what a lesson teaches:
// postgres:18 refuses a volume on /var/lib/postgresql/data, Prometheus 3 and Alertmanager
// change flags and configuration. A lesson names them with the tag the sandbox's registry
// mirror serves (images/catalog.txt), so a learner who reproduces it at home gets the same
// version. Pure: the content check feeds it texts and the catalogue's tags.

export const PINNED_FAMILIES = ['postgres', 'redis', 'prom/prometheus', 'prom/alertmanager', 'prom/node-exporter', 'prom/blackbox-exporter'] as const

export type ImageMention = { line: number; image: string }
export type UnpinnedImage = ImageMention & { repository: string; tag: string | null }

const familyOf = (image: string): { repository: string; tag: string | null } | null => {
  const bare = image.replace(/^(docker\.io\/)?(library\/)?/, '')
  const at = bare.lastIndexOf(':')
  const repository = at > 0 && !bare.slice(at).includes('/') ? bare.slice(0, at) : bare
  const tag = repository === bare ? null : bare.slice(at + 1)
  return (PINNED_FAMILIES as readonly string[]).includes(repository) ? { repository, tag } : null
}

export const isPinnedFamily = (image: string) => familyOf(image) !== null

/** Splits a command line into words, keeping quoted strings whole (enough for `docker run`). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!)
}

// Options of `docker run` / `docker service create` that take no value; every other option
// written without "=" takes the next word.
const FLAGS = new Set(['--detach', '--rm', '--interactive', '--tty', '--init', '--privileged', '--read-only', '--publish-all', '--no-healthcheck', '--oom-kill-disable', '--quiet', '--with-registry-auth', '--no-resolve-image', '--help'])
const isFlag = (word: string) => FLAGS.has(word) || /^-[ditPq]+$/.test(word)

/** The image a `docker run`, `docker container run`, `docker create` or `docker service create` command starts. */
function imageOfCommand(command: string): string | null {
  const w = words(command)
  const start = w.findIndex((word, i) => word === 'docker' && /^(run|create)$/.test(w[i + 1] === 'container' || w[i + 1] === 'service' ? w[i + 2] ?? '' : w[i + 1] ?? ''))
  if (start < 0) return null
  let i = start + (w[start + 1] === 'container' || w[start + 1] === 'service' ? 3 : 2)
  while (i < w.length && w[i]!.startsWith('-')) i += isFlag(w[i]!) || w[i]!.includes('=') ? 1 : 2
  return w[i] ?? null
}

/** Every image a text names with `image:`, `FROM` or a `docker run`-like command, with its line (1-based). */
export function imageMentions(text: string, firstLine = 1): ImageMention[] {
  const lines = text.split('\n')
  const found: ImageMention[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const image = /^\s*(?:-\s+)?image:\s*["']?([^\s"'#]+)/.exec(line)?.[1] ?? /^\s*FROM\s+(?:--\S+\s+)*(\S+)/i.exec(line)?.[1]
    if (image) {
      found.push({ line: firstLine + i, image })
      continue
    }
    if (!/\bdocker\b/.test(line)) continue
    // A command continued with "\" ends on a later line; it is reported at its first.
    let command = line
    let j = i
    while (/\\\s*$/.test(command) && j + 1 < lines.length) command = command.replace(/\\\s*$/, ' ') + lines[++j]!
    for (const part of command.split(/&&|\|\||;|\||`/)) {
      const started = imageOfCommand(part)
      if (started) found.push({ line: firstLine + i, image: started })
    }
  }
  return found
}

/** The mentions of a pinned family without a tag, with `latest`, or with a tag the sandbox does not serve. */
export function unpinnedImages(mentions: ImageMention[], servedTags: (repository: string) => string[]): (UnpinnedImage & { served: string[] })[] {
  return mentions.flatMap((m) => {
    const family = familyOf(m.image)
    if (!family) return []
    const served = servedTags(family.repository).filter((t) => t !== 'latest')
    if (family.tag && family.tag !== 'latest' && served.includes(family.tag)) return []
    return [{ ...m, ...family, served }]
  })
}
