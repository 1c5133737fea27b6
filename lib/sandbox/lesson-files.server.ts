import 'server-only'
import fs from 'node:fs'
import path from 'node:path'
import { lessonFolder, type LessonRecord } from '../content/lessons.server'
import { lessonWorkspace, type WorkspaceEntry } from '../content/workspace'
import { listArchive, NodeFilesError, putEntries, statPath, type FilesTarget, type NewEntry } from '../docker/archive.server'
import { nodeExecTarget } from './node-access.server'
import { SandboxBusyError } from './types'

// A lesson's starter files (lib/content/workspace.ts) copied into its folder of every node
// (/root/lab/<lesson>, or /root/lab/<course> for every lesson of a course that shares one
// sandbox: each milestone adds its files to the project, never over the learner's): when a learner opens the lesson, and, for a scheduled class session,
// when the warm pool makes the sandbox (runtime.server.ts), so that the claim copies nothing.

/** The lesson's folder in the node is a link or a file: the learner replaced it. */
export class LessonFolderReplacedError extends Error {
  override readonly name = 'LessonFolderReplacedError'
  constructor() {
    super('the lesson folder has been replaced by a link or a file; reset the sandbox')
  }
}

/** Largest listing of the lesson's folder read to know which files are already there. */
const listBytes = 64 * 1024 * 1024

/**
 * Copies a lesson's workspace (files on Quai's disk) into the node's lesson folder.
 * Files that already exist there are left alone: the learner may have changed them.
 */
export async function copyLessonFiles(node: FilesTarget, root: string, local: readonly WorkspaceEntry[]): Promise<{ copied: string[]; kept: string[] }> {
  const rootStat = await statPath(node, root)
  if (!rootStat) {
    await putEntries(node, path.posix.dirname(root), [{ name: path.posix.basename(root), kind: 'dir' }])
  } else if (rootStat.kind !== 'dir') {
    throw new LessonFolderReplacedError()
  }
  if (local.length === 0) return { copied: [], kept: [] }
  const present = new Set<string>()
  const links: string[] = []
  if (rootStat) {
    const { entries } = await listArchive(node, root, { maxEntries: 10_000, maxBytes: listBytes })
    const base = path.posix.basename(root)
    for (const e of entries) {
      if (!e.path.startsWith(`${base}/`)) continue
      const rel = e.path.slice(base.length + 1)
      present.add(rel)
      if (e.kind === 'symlink') links.push(`${rel}/`)
    }
  }
  // Never write through a link the learner made (it could point anywhere in their node).
  const throughLink = (rel: string) => links.some((l) => rel.startsWith(l))
  const entries: NewEntry[] = []
  const copied: string[] = []
  const kept: string[] = []
  for (const item of local) {
    if (throughLink(item.rel)) {
      if (item.kind === 'file') kept.push(item.rel)
      continue
    }
    if (item.kind === 'dir') {
      if (!present.has(item.rel)) entries.push({ name: item.rel, kind: 'dir', mode: item.mode })
    } else if (present.has(item.rel)) {
      kept.push(item.rel)
    } else {
      entries.push({ name: item.rel, kind: 'file', body: fs.readFileSync(item.full), mode: item.mode })
      copied.push(item.rel)
    }
  }
  if (entries.length > 0) await putEntries(node, root, entries)
  return { copied, kept }
}

/**
 * The lesson's files into every node of the sandbox. A node too busy to answer in time (or
 * failing the copy) is tried once more; then the copy fails with SandboxBusyError (503,
 * retryable: the sandbox is untouched and stays its owner's). LessonFolderReplacedError and a
 * dead node's errors pass through.
 */
export async function seedLessonFiles(sandboxId: string, nodeNames: readonly string[], lesson: LessonRecord, options: { retryDelayMs?: number } = {}): Promise<void> {
  const root = lessonFolder(lesson)
  const local = lessonWorkspace(lesson)
  await Promise.all(
    nodeNames.map(async (name) => {
      const target = await nodeExecTarget(sandboxId, name)
      for (let attempt = 1; ; attempt++) {
        try {
          await copyLessonFiles(target, root, local)
          return
        } catch (error) {
          if (!(error instanceof NodeFilesError)) throw error
          if (attempt >= 2) throw new SandboxBusyError(name, error)
          await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 1000))
        }
      }
    }),
  )
}
