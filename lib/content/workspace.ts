// No `server-only` marker, like load.server.ts: the integration tests and scripts resolve
// workspaces outside Next. It reads files with node:fs, so no client bundle could include it.
import fs from 'node:fs'
import path from 'node:path'

/**
 * One entry a lesson seeds into its folder of the sandbox (lessonWorkdir: /root/lab/<lesson>, or /root/lab/<course> in a sharedSandbox course): a folder, or a
 * file whose bytes are read from `full` on Quai's disk when the sandbox is seeded.
 */
export type WorkspaceEntry = { rel: string; kind: 'dir' | 'file'; full: string; mode: number }

/** A path that two of a lesson's workspace folders both have, and not both as folders: the later one wins. */
export type WorkspaceOverride = { rel: string; over: WorkspaceEntry; by: WorkspaceEntry }

function walk(root: string, visit: (entry: WorkspaceEntry) => void, dir = root, rel = ''): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    const childRel = rel ? `${rel}/${entry.name}` : entry.name
    // Links and special files are not seeded: a link could point anywhere on Quai's disk.
    if (entry.isDirectory()) {
      visit({ rel: childRel, kind: 'dir', full, mode: 0o755 })
      walk(root, visit, full, childRel)
    } else if (entry.isFile()) {
      visit({ rel: childRel, kind: 'file', full, mode: fs.statSync(full).mode & 0o777 })
    }
  }
}

/** Folders before what they hold, names in order at each level (the order they go into the node's tar). */
function byTreeOrder(a: WorkspaceEntry, b: WorkspaceEntry): number {
  const [x, y] = [a.rel.split('/'), b.rel.split('/')]
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const order = x[i]!.localeCompare(y[i]!)
    if (order !== 0) return order
  }
  return x.length - y.length
}

/**
 * The files of several folders laid over one another, in order: a later folder's file takes the
 * place of an earlier one's at the same path. Missing folders give nothing.
 */
export function overlayWorkspace(folders: readonly string[]): { entries: WorkspaceEntry[]; overrides: WorkspaceOverride[] } {
  const byPath = new Map<string, WorkspaceEntry>()
  const overrides: WorkspaceOverride[] = []
  for (const folder of folders) {
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) continue
    walk(folder, (entry) => {
      const over = byPath.get(entry.rel)
      if (over && (over.kind === 'file' || entry.kind === 'file')) overrides.push({ rel: entry.rel, over, by: entry })
      byPath.set(entry.rel, entry)
    })
  }
  const files = new Set([...byPath.values()].filter((e) => e.kind === 'file').map((e) => e.rel))
  // A file that replaced a folder takes what the folder held with it.
  const underFile = (rel: string) => rel.split('/').some((_, i, parts) => i > 0 && files.has(parts.slice(0, i).join('/')))
  const entries = [...byPath.values()].filter((e) => !underFile(e.rel)).sort(byTreeOrder)
  return { entries, overrides }
}

/**
 * What a lesson seeds into its folder of every sandbox node: its shared starter folders
 * (frontmatter `sharedWorkspace`, from content/shared/) with its own workspace/ laid over them.
 */
export function lessonWorkspace(lesson: { workspaceFolders: readonly string[] }): WorkspaceEntry[] {
  return overlayWorkspace(lesson.workspaceFolders).entries
}
