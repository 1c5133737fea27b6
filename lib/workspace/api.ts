import { z } from 'zod'
import { nodeNameSchema, slug } from '../content/slug'
import { keptIdSchema, sandboxStatuses } from '../sandbox/types'

// Shapes of the sandbox, files and ports APIs, shared by the route handlers (which build
// them) and the workspace UI (which validates what it receives).

export const openSandboxBodySchema = z.strictObject({ courseSlug: slug, lessonSlug: slug })
export type OpenSandboxBody = z.infer<typeof openSandboxBodySchema>

export const sandboxViewSchema = z.object({
  id: z.string(),
  status: z.enum(sandboxStatuses),
  nodes: z.array(z.object({ name: z.string(), role: z.string() })),
  /** ISO times; null when the sandbox has ended. */
  idleExpiresAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  /** Seconds until the first of the two, from the server's clock at `now`. */
  secondsLeft: z.number().int().nullable(),
  idleTimeoutSeconds: z.number().int().nullable(),
  now: z.string(),
  endReason: z.string().nullable(),
  error: z.string().nullable(),
  /** ISO time the work this sandbox resumed had been kept (docs/persistence.md); null for a new one. */
  resumedFrom: z.string().nullable().default(null),
  /** The kept work could not be read back: this is a fresh sandbox. */
  keptWorkLost: z.boolean().default(false),
})
export type SandboxView = z.infer<typeof sandboxViewSchema>

/** GET /api/sandboxes/<id>/steps: the steps the learner can go back to (one per passed exercise). */
export const stepListSchema = z.object({
  steps: z.array(z.object({ id: z.string(), lessonKey: z.string(), exerciseId: z.string(), createdAt: z.string() })),
})
export type StepListView = z.infer<typeof stepListSchema>
/** POST /api/sandboxes/<id>/steps/<step>/restore: the learner confirmed that the current state goes. */
export const restoreStepBodySchema = z.strictObject({ confirm: z.literal(true) })
export const stepIdSchema = keptIdSchema
/** DELETE /api/kept-work?course=&lesson=: start over from scratch, without the kept work. */
export const keptWorkQuerySchema = z.strictObject({ course: slug, lesson: slug })
export const discardedSchema = z.object({ discarded: z.boolean() })

/** GET /api/sandboxes/start-progress: where the learner's sandbox start stands (lib/sandbox/start-queue.server.ts). */
export const startProgressSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('queued'), ahead: z.number().int().min(0) }),
  z.object({ phase: z.enum(['starting', 'running', 'none']) }),
])
export type StartProgressView = z.infer<typeof startProgressSchema>


export const fileEntrySchema = z.object({
  path: z.string(),
  kind: z.enum(['file', 'dir', 'symlink', 'other']),
  size: z.number(),
  mtime: z.string(),
  link: z.object({ target: z.string(), inside: z.boolean() }).optional(),
})
export type FileEntryView = z.infer<typeof fileEntrySchema>

export const fileListSchema = z.object({ root: z.string(), entries: z.array(fileEntrySchema), truncated: z.boolean() })
export const textFileSchema = z.object({ path: z.string(), content: z.string(), size: z.number(), mtime: z.string() })
export const savedFileSchema = z.object({ path: z.string(), size: z.number(), mtime: z.string().optional() })

/** Which lesson folder a files request is about (the folder is derived on the server). */
export const lessonQuerySchema = z.strictObject({ course: slug, lesson: slug })
export const fileQuerySchema = z.strictObject({ course: slug, lesson: slug, path: z.string().min(1).max(1024) })
export const uploadQuerySchema = z.strictObject({ course: slug, lesson: slug, dir: z.string().max(1024).default('') })
export const saveFileBodySchema = z.strictObject({
  course: slug,
  lesson: slug,
  path: z.string().min(1).max(1024),
  content: z.string(),
  /** The mtime the editor loaded; a different one in the sandbox is a conflict (409). Omit to overwrite. */
  baseMtime: z.string().max(64).optional(),
})
export type SaveFileBody = z.infer<typeof saveFileBodySchema>

export const publishedPortSchema = z.object({
  node: z.string(),
  port: z.number().int().min(1).max(65535),
  protocol: z.string(),
  container: z.string(),
  targetPort: z.number().int().nullable(),
  /** Quai's address that opens the port on its own origin (a redirect with a one-time grant). */
  url: z.string(),
  /** Shared with the instructors of the learner's classes. */
  shared: z.boolean(),
})
export type PublishedPortView = z.infer<typeof publishedPortSchema>
export const portListSchema = z.object({ ports: z.array(publishedPortSchema) })

export const sandboxApi = {
  open: '/api/sandboxes',
  startProgress: '/api/sandboxes/start-progress',
  one: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}`,
  reset: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/reset`,
  killProcesses: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/processes/kill`,
  files: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/files`,
  fileContent: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/files/content`,
  upload: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/files/upload`,
  download: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/files/download`,
  folderArchive: (id: string, course: string, lesson: string) =>
    `/api/sandboxes/${encodeURIComponent(id)}/files/archive?course=${encodeURIComponent(course)}&lesson=${encodeURIComponent(lesson)}`,
  ports: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/ports`,
  portShare: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/ports/share`,
  /** Opens a port on its own origin (redirect with a one-time grant); `path` is where to land. */
  steps: (id: string) => `/api/sandboxes/${encodeURIComponent(id)}/steps`,
  restoreStep: (id: string, step: string) => `/api/sandboxes/${encodeURIComponent(id)}/steps/${encodeURIComponent(step)}/restore`,
  discardKept: (course: string, lesson: string) => `/api/kept-work?course=${encodeURIComponent(course)}&lesson=${encodeURIComponent(lesson)}`,
  /** The lab folders of kept work (not running) as a .tar.gz, read without resuming it. */
  keptArchive: (course: string, lesson: string) => `/api/kept-work/archive?course=${encodeURIComponent(course)}&lesson=${encodeURIComponent(lesson)}`,
  openPort: (id: string, node: string, port: number) => `/api/sandboxes/${encodeURIComponent(id)}/ports/${encodeURIComponent(node)}/${port}/open`,
}

export const portShareBodySchema = z.strictObject({
  node: nodeNameSchema,
  port: z.number().int().min(1).max(65535),
  shared: z.boolean(),
})
export type PortShareBody = z.infer<typeof portShareBodySchema>
export const portShareSchema = z.object({ shared: z.boolean() })

/** POST /api/sandboxes/<id>/processes/kill */
export const killedProcessesSchema = z.object({ killed: z.number().int().min(0) })

/**
 * Kept work of the lesson within QUAI_SANDBOX_KEEP_WARN_DAYS of its removal (the lesson page
 * asks the learner before resuming it). `keepDays`: how long resuming keeps it again.
 */
export type KeptWarning = { keptMb: number; lastUsedAt: string; expiresAt: string; keepDays: number }

/** An instructor's download of a student's kept work for a lesson. */
export const studentKeptArchive = (classId: string, studentId: string, course: string, lesson: string) =>
  `/api/classes/${encodeURIComponent(classId)}/students/${encodeURIComponent(studentId)}/kept-work/archive?course=${encodeURIComponent(course)}&lesson=${encodeURIComponent(lesson)}`
