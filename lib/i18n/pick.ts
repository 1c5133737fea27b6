// The parts of a message catalogue that a part of a page sends to its client components. A path
// is a namespace or a dotted path into one ("learn.quiz"); its whole subtree is kept, by
// reference (React's flight data writes an object that appears twice only once). `omit` drops
// subtrees of what was picked ("exercises.check": loaded on demand, lib/checks/catalogue.ts).

type Tree = { [key: string]: unknown }

const isTree = (value: unknown): value is Tree => typeof value === 'object' && value !== null && !Array.isArray(value)

const at = (messages: Tree, keys: readonly string[]): unknown => keys.reduce<unknown>((node, key) => (isTree(node) ? node[key] : undefined), messages)

/** The paths of `paths` that name nothing in `messages` (a test asserts there are none). */
export function missingPaths(messages: Tree, paths: readonly string[]): string[] {
  return paths.filter((path) => at(messages, path.split('.')) === undefined)
}

export function pickMessages(messages: Tree, paths: readonly string[], omit: readonly string[] = []): Tree {
  const picked: Tree = {}
  for (const path of paths) {
    const keys = path.split('.')
    const value = at(messages, keys)
    if (value === undefined) continue
    let from: Tree = messages
    let into: Tree | null = picked
    for (const key of keys.slice(0, -1)) {
      from = from[key] as Tree
      // Already picked whole by a shorter path: nothing to add.
      if (into[key] === from) {
        into = null
        break
      }
      if (!isTree(into[key])) into[key] = {}
      into = into[key] as Tree
    }
    if (into) into[keys.at(-1)!] = value
  }
  for (const path of omit) {
    const keys = path.split('.')
    let into = picked
    for (const [i, key] of keys.entries()) {
      if (i === keys.length - 1) {
        delete into[key]
        break
      }
      const node = into[key]
      if (!isTree(node)) break
      // Copy before deleting below: the catalogue itself is shared by every request.
      const copy = { ...node }
      into[key] = copy
      into = copy
    }
  }
  return picked
}
