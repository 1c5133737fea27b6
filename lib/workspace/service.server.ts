import 'server-only'
import type { Readable } from 'node:stream'
import type { SessionUser } from '../auth/session.server'
import { getLesson, getLessonByKey, lessonFolder, type LessonRecord } from '../content/lessons.server'
import { ApiError, apiErrorOf } from '../http/api.server'
import { admit } from '../http/usage-limits.server'
import { nudgeLive } from '../checks/live.server'
import type { OpenSandboxBody, SandboxView } from './api'
import { listFiles, openDownload, openFolderArchive, readTextFile, uploadFile, writeTextFile, type FileEntry, type TextFile } from './files.server'
import type { FilesTarget } from '../docker/archive.server'
import {
  nodeFilesTarget,
  openWorkspaceSandbox,
  orNodeDiedAnswer,
  requireNode,
  requireOwnedSandbox,
  requireRunningOwnedSandbox,
  resetWorkspaceSandbox,
  sandboxNodeDied,
  seedLessonFolders,
  sandboxView,
  stopWorkspaceSandbox,
  touchWorkspaceSandbox,
  type WorkspaceSandbox,
} from './workspace-sandbox.server'

// What the sandbox, files and ports routes do; the routes only parse input and answer.

function requireHandsOnLesson(courseSlug: string, lessonSlug: string): LessonRecord & { frontmatter: NonNullable<LessonRecord['frontmatter']> } {
  const lesson = getLesson(courseSlug, lessonSlug)
  if (!lesson?.frontmatter) throw new ApiError(404, 'lesson_not_found', `no lesson ${courseSlug}/${lessonSlug}`)
  if (!lesson.frontmatter.sandbox) throw new ApiError(400, 'not_hands_on', 'this lesson has no sandbox')
  return lesson as LessonRecord & { frontmatter: NonNullable<LessonRecord['frontmatter']> }
}

/** Instructors get the command that fixes a server-side problem; students only the message. */
function forAudience(error: unknown, user: SessionUser): unknown {
  const api = apiErrorOf(error)
  if (api instanceof ApiError && api.details?.fix && user.role !== 'instructor') {
    const { fix: _fix, ...rest } = api.details
    return new ApiError(api.status, api.code, api.message, rest)
  }
  return error
}

/** POST /api/sandboxes: the learner's sandbox for this lesson's layout, with the lesson's files in it. */
export async function openSandboxForLesson(user: SessionUser, body: OpenSandboxBody, signal?: AbortSignal): Promise<SandboxView> {
  const lesson = requireHandsOnLesson(body.courseSlug, body.lessonSlug)
  // The layout comes from the lesson, never from the browser.
  const nodes = lesson.frontmatter.sandbox?.nodes ?? [{ name: 'node1', role: 'standalone' }]
  try {
    const sandbox = await openWorkspaceSandbox(user.id, lesson.key, nodes, signal)
    if (sandbox.status === 'running') {
      try {
        await seedLessonFolders(sandbox, lesson)
      } catch (error) {
        // The learner's running sandbox whose Docker died: the page shows it ended, and why.
        if (await sandboxNodeDied(sandbox.id)) return sandboxView(await requireOwnedSandbox(user.id, sandbox.id))
        throw error
      }
    }
    return sandboxView(sandbox)
  } catch (error) {
    throw forAudience(error, user)
  }
}

export async function sandboxStatus(user: SessionUser, sandboxId: string): Promise<SandboxView> {
  return sandboxView(await requireOwnedSandbox(user.id, sandboxId))
}

export async function stopSandboxFor(user: SessionUser, sandboxId: string): Promise<SandboxView> {
  try {
    return sandboxView(await stopWorkspaceSandbox(user.id, sandboxId))
  } catch (error) {
    throw forAudience(error, user)
  }
}

export async function resetSandboxFor(user: SessionUser, sandboxId: string): Promise<SandboxView> {
  const before = await requireOwnedSandbox(user.id, sandboxId)
  try {
    const sandbox = await resetWorkspaceSandbox(user.id, sandboxId)
    const lesson = getLessonByKey(before.lessonKey)
    if (lesson && sandbox.status === 'running') await seedLessonFolders(sandbox, lesson)
    return sandboxView(sandbox)
  } catch (error) {
    throw forAudience(error, user)
  }
}

// ---------------------------------------------------------------- files

/** `release` gives back the user's in-flight slot for file calls: once the call (or a download's stream) ends. */
type FileScope = { sandbox: WorkspaceSandbox; node: { ref: FilesTarget }; root: string; release: () => void }

/**
 * Every file call costs execs in the node: it is admitted against the user's limits first
 * (`fileCalls`: a rate per minute, and a cap on calls at once; lib/http/usage-limits.server.ts).
 */
async function fileScope(user: SessionUser, sandboxId: string, courseSlug: string, lessonSlug: string, nodeName?: string): Promise<FileScope> {
  const release = await admit('fileCalls', user.id)
  try {
    const lesson = requireHandsOnLesson(courseSlug, lessonSlug)
    const sandbox = await requireRunningOwnedSandbox(user.id, sandboxId)
    const node = nodeName ? requireNode(sandbox, nodeName) : sandbox.nodes[0]
    if (!node) throw new ApiError(409, 'sandbox_not_running', 'this sandbox has no node')
    void touchWorkspaceSandbox(sandbox.id).catch(() => {})
    return { sandbox, node: { ref: await nodeFilesTarget(sandbox.id, node.name) }, root: lessonFolder(lesson), release }
  } catch (error) {
    release()
    throw error
  }
}

async function withFiles<T>(scope: FileScope, run: () => Promise<T>): Promise<T> {
  try {
    return await orNodeDiedAnswer(scope.sandbox.id, run)
  } finally {
    scope.release()
  }
}

export async function listLessonFiles(user: SessionUser, sandboxId: string, q: { course: string; lesson: string }) {
  const scope = await fileScope(user, sandboxId, q.course, q.lesson)
  return withFiles(scope, async (): Promise<{ root: string; entries: FileEntry[]; truncated: boolean }> => {
    const { entries, truncated } = await listFiles(scope.node.ref, scope.root)
    return { root: scope.root, entries, truncated }
  })
}

export async function readLessonFile(user: SessionUser, sandboxId: string, q: { course: string; lesson: string; path: string }): Promise<TextFile> {
  const scope = await fileScope(user, sandboxId, q.course, q.lesson)
  return withFiles(scope, () => readTextFile(scope.node.ref, scope.root, q.path))
}

export async function saveLessonFile(
  user: SessionUser,
  sandboxId: string,
  body: { course: string; lesson: string; path: string; content: string; baseMtime?: string },
) {
  const scope = await fileScope(user, sandboxId, body.course, body.lesson)
  const saved = await withFiles(scope, () => writeTextFile(scope.node.ref, scope.root, body.path, body.content, body.baseMtime))
  // A file write makes no Docker event: file checks in live mode re-run on this nudge.
  nudgeLive(sandboxId)
  return saved
}

/** `readFile` reads the request's body: only once the call is admitted and the sandbox checked, so a refused upload is never read. */
export async function uploadLessonFile(
  user: SessionUser,
  sandboxId: string,
  q: { course: string; lesson: string; dir: string },
  readFile: () => Promise<{ name: string; body: Buffer }>,
) {
  const scope = await fileScope(user, sandboxId, q.course, q.lesson)
  const uploaded = await withFiles(scope, async () => {
    const { name, body } = await readFile()
    return uploadFile(scope.node.ref, scope.root, q.dir, name, body)
  })
  nudgeLive(sandboxId)
  return uploaded
}

export async function downloadLessonFile(
  user: SessionUser,
  sandboxId: string,
  q: { course: string; lesson: string; path: string },
): Promise<{ name: string; size: number; stream: Readable }> {
  return streamedFromScope(await fileScope(user, sandboxId, q.course, q.lesson), (scope) => openDownload(scope.node.ref, scope.root, q.path))
}

/** GET /api/sandboxes/<id>/files/archive: the lesson folder as a .tar.gz. */
export async function downloadLessonFolder(user: SessionUser, sandboxId: string, q: { course: string; lesson: string }): Promise<{ name: string; stream: Readable }> {
  return streamedFromScope(await fileScope(user, sandboxId, q.course, q.lesson), (scope) => openFolderArchive(scope.node.ref, scope.root, q.lesson))
}

/** A download holds its exec (and its slot) for as long as the browser takes to read it. */
async function streamedFromScope<T extends { stream: Readable }>(scope: FileScope, open: (scope: FileScope) => Promise<T>): Promise<T> {
  let download: T
  try {
    download = await open(scope)
  } catch (error) {
    scope.release()
    throw error
  }
  download.stream.once('close', scope.release)
  return download
}

// ---------------------------------------------------------------- ports

