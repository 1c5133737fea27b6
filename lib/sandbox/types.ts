import { z } from 'zod'
import { nodeNameSchema } from '../content/slug'

// Shapes of the sandbox runtime shared by the server and the UI (no server-only imports).

export const nodeRoles = ['standalone', 'manager', 'worker'] as const
export type NodeRole = (typeof nodeRoles)[number]

/**
 * The ids Quai makes for kept disks and steps (lib/sandbox/ids.server.ts): they also name a kept
 * disk's folder and a step's snapshot on a host, so nothing else may pass for one.
 */
export const keptIdChars = '[a-z0-9]{8,40}'
export const keptIdPattern = new RegExp(`^${keptIdChars}$`)
export const keptIdSchema = z.string().regex(keptIdPattern, 'must be an id Quai made')

/** A sandbox's id as it travels in URLs and bodies (the database makes them: cuid). */
export const sandboxIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a sandbox id')

export const sandboxLayoutSchema = z.object({
  nodes: z
    .array(z.object({ name: nodeNameSchema, role: z.enum(nodeRoles) }))
    .min(1)
    .max(8)
    .refine((nodes) => new Set(nodes.map((n) => n.name)).size === nodes.length, 'node names must be unique')
    .refine((nodes) => !nodes.some((n) => n.name === 'quai-registry'), '"quai-registry" is reserved'),
})
export type SandboxLayout = z.infer<typeof sandboxLayoutSchema>

/** One Docker host: what every lesson gets unless it asks for more. */
export const defaultLayout: SandboxLayout = { nodes: [{ name: 'node1', role: 'standalone' }] }

/** A Swarm lab: one manager, two workers. */
export const swarmLayout: SandboxLayout = {
  nodes: [
    { name: 'manager', role: 'manager' },
    { name: 'worker1', role: 'worker' },
    { name: 'worker2', role: 'worker' },
  ],
}

/** The layout as stored in Sandbox.layoutKey: "single" for the default, else "name=role,...". */
export function layoutKey(layout: SandboxLayout): string {
  const key = layout.nodes.map((n) => `${n.name}=${n.role}`).join(',')
  return key === 'node1=standalone' ? 'single' : key
}

export function layoutFromKey(key: string): SandboxLayout {
  if (key === 'single' || key === '') return defaultLayout
  const nodes = key.split(',').map((part) => {
    const [name = '', role = 'standalone'] = part.split('=')
    return { name, role: (nodeRoles as readonly string[]).includes(role) ? (role as NodeRole) : 'standalone' }
  })
  return { nodes }
}

export const sandboxStatuses = ['starting', 'running', 'stopping', 'ended', 'failed'] as const
export type SandboxStatus = (typeof sandboxStatuses)[number]

export type SandboxNodeView = { name: string; role: NodeRole; hostname: string }

export type SandboxView = {
  id: string
  userId: string
  status: SandboxStatus
  nodes: SandboxNodeView[]
  lessonKey: string | null
  /**
   * Set by the open that claimed a pooled sandbox: true when the warm pool had already copied
   * this lesson's files into its nodes (the open need not copy them again).
   */
  lessonFilesSeeded?: boolean
  createdAt: Date
  lastActivityAt: Date
  /** When it ends if nothing changes: the earlier of the idle and the maximum deadlines. */
  expiresAt: Date
  /** lastActivityAt + the idle timeout. */
  idleExpiresAt: Date
  /** The hard end: creation (or claim from the pool) + the maximum lifetime. */
  maxExpiresAt: Date
  idleTimeoutSeconds: number
  endReason: string | null
  error: string | null
  /** When the work it resumed had been kept (set by the open that resumed it). */
  resumedFrom?: Date | null
  /** The open could not resume the learner's kept work (damaged disk) and made a fresh sandbox. */
  keptWorkLost?: boolean
  /** Whether its disk takes steps (btrfs), and is kept when it stops. */
  keepsWork?: boolean
}

/** Why a sandbox ended (Sandbox.endReason). */
export type EndReason = 'stopped' | 'reset' | 'replaced' | 'switched' | 'idle' | 'expired' | 'failed' | 'lost' | 'orphaned' | 'pool' | 'host_lost' | NodeDeathReason

/** A node of the sandbox stopped on its own (its inner dockerd died, and the node with it). */
export const nodeDeathReasons = ['node_died', 'node_out_of_memory'] as const
export type NodeDeathReason = (typeof nodeDeathReasons)[number]
export const isNodeDeathReason = (reason: string | null | undefined): reason is NodeDeathReason => (nodeDeathReasons as readonly (string | null | undefined)[]).includes(reason)

/**
 * The sandbox broke under the learner rather than being stopped: a node died, or the quai-agent
 * of its host stopped answering (host_lost). The workspace says so and offers a new sandbox.
 */
export const brokenEndReasons = [...nodeDeathReasons, 'host_lost'] as const
export type BrokenEndReason = (typeof brokenEndReasons)[number]
export const isBrokenEndReason = (reason: string | null | undefined): reason is BrokenEndReason => (brokenEndReasons as readonly (string | null | undefined)[]).includes(reason)

// ---------------------------------------------------------------- errors

export type SandboxErrorCode =
  | 'sandbox.capacity_full'
  | 'sandbox.rate_limited'
  | 'sandbox.not_found'
  | 'sandbox.not_yours'
  | 'sandbox.not_running'
  | 'sandbox.node_not_found'
  | 'sandbox.start_failed'
  | 'sandbox.unavailable'
  | 'sandbox.host_full'
  | 'sandbox.node_died'
  | 'sandbox.host_lost'
  | 'sandbox.busy'
  | 'sandbox.kept_disk_broken'
  | 'sandbox.kept_host_unavailable'
  | 'sandbox.steps_unavailable'
  | 'sandbox.step_not_found'
  | 'sandbox.restoring'
  | 'sandbox.kept_not_found'
  | 'sandbox.kept_busy'

type Params = Record<string, string | number>

const messages: Record<SandboxErrorCode, { en: (p: Params) => string; fr: (p: Params) => string }> = {
  'sandbox.capacity_full': {
    en: (p) => `All sandboxes are in use right now. Try again in ${p.retryAfterMinutes} minute${p.retryAfterMinutes === 1 ? '' : 's'}.`,
    fr: (p) => `Tous les bacs à sable sont occupés pour le moment. Réessayez dans ${p.retryAfterMinutes} minute${p.retryAfterMinutes === 1 ? '' : 's'}.`,
  },
  'sandbox.rate_limited': {
    en: (p) => `You have started ${p.limit} sandboxes in the last hour, the most allowed. Try again in ${formatWait(p.retryAfterSeconds ?? 60, 'en')}.`,
    fr: (p) => `Vous avez démarré ${p.limit} bacs à sable dans la dernière heure, le maximum permis. Réessayez dans ${formatWait(p.retryAfterSeconds ?? 60, 'fr')}.`,
  },
  'sandbox.not_found': {
    en: () => 'This sandbox does not exist (it may have ended).',
    fr: () => "Ce bac à sable n'existe pas (il s'est peut-être terminé).",
  },
  'sandbox.not_yours': {
    en: () => 'This sandbox belongs to someone else.',
    fr: () => 'Ce bac à sable appartient à quelqu’un d’autre.',
  },
  'sandbox.not_running': {
    en: (p) => `This sandbox is ${p.status}, not running. Open the lesson again to get a new one.`,
    fr: (p) => `Ce bac à sable est ${statusFr(String(p.status))}, il ne tourne plus. Rouvrez la leçon pour en obtenir un nouveau.`,
  },
  'sandbox.node_not_found': {
    en: (p) => `This sandbox has no node "${p.node}".`,
    fr: (p) => `Ce bac à sable n'a pas de nœud « ${p.node} ».`,
  },
  'sandbox.start_failed': {
    en: (p) => `The sandbox could not start: ${p.reason}`,
    fr: (p) => `Le bac à sable n'a pas pu démarrer : ${p.reason}`,
  },
  'sandbox.unavailable': {
    en: (p) => `Sandboxes are unavailable on this server: ${p.reason}`,
    fr: (p) => `Les bacs à sable sont indisponibles sur ce serveur : ${p.reason}`,
  },
  'sandbox.host_full': {
    en: (p) => `This server has no disk space left for another sandbox (one needs ${p.neededMb} MB, ${p.availableMb} MB can still be given out). Try again later; if it lasts, tell your teacher.`,
    fr: (p) => `Ce serveur n'a plus assez d'espace disque pour un autre bac à sable (il faut ${p.neededMb} Mo, ${p.availableMb} Mo sont encore disponibles). Réessayez plus tard ; si cela dure, prévenez votre enseignant.`,
  },
  'sandbox.node_died': {
    en: (p) => `The Docker of this sandbox stopped (node ${p.node}${p.outOfMemory ? ', out of memory' : ''}). Your progress is kept: start a new sandbox.`,
    fr: (p) => `Le Docker de ce bac à sable s’est arrêté (nœud ${p.node}${p.outOfMemory ? ', mémoire épuisée' : ''}). Votre progression est conservée : démarrez un nouveau bac à sable.`,
  },
  'sandbox.host_lost': {
    en: () => 'The server that ran this sandbox stopped answering, and the sandbox is lost. Your progress is kept: start a new sandbox, it will run on another server.',
    fr: () => 'Le serveur qui faisait tourner ce bac à sable ne répond plus, et le bac à sable est perdu. Votre progression est conservée : démarrez un nouveau bac à sable, il tournera sur un autre serveur.',
  },
  'sandbox.busy': {
    en: (p) => `Your sandbox is too busy right now to receive the lesson's files (node ${p.node}). It is still yours: try again in a few seconds.`,
    fr: (p) => `Votre bac à sable est trop occupé pour recevoir les fichiers de la leçon (nœud ${p.node}). Il reste le vôtre : réessayez dans quelques secondes.`,
  },
  'sandbox.kept_disk_broken': {
    en: () => 'Your saved work for this lesson could not be read back (its disk is damaged or missing). You have a fresh sandbox; your recorded progress is kept.',
    fr: () => 'Votre travail gardé pour cette leçon n’a pas pu être relu (son disque est endommagé ou manquant). Vous avez un bac à sable neuf ; votre progression enregistrée est conservée.',
  },
  'sandbox.kept_host_unavailable': {
    en: (p) => `Your saved work for this lesson is on a server that is not answering (${p.host}). It is still kept: try again later, or start over from scratch.`,
    fr: (p) => `Votre travail gardé pour cette leçon est sur un serveur qui ne répond pas (${p.host}). Il reste gardé : réessayez plus tard, ou recommencez à zéro.`,
  },
  'sandbox.steps_unavailable': {
    en: () => 'This server cannot keep the steps of a sandbox (its disks are not btrfs).',
    fr: () => 'Ce serveur ne peut pas garder les étapes d’un bac à sable (ses disques ne sont pas en btrfs).',
  },
  'sandbox.step_not_found': {
    en: () => 'This step does not exist (it may have been removed).',
    fr: () => 'Cette étape n’existe pas (elle a peut-être été supprimée).',
  },
  'sandbox.restoring': {
    en: () => 'This sandbox is already going back to a step. Wait a few seconds.',
    fr: () => 'Ce bac à sable revient déjà à une étape. Patientez quelques secondes.',
  },
  'sandbox.kept_not_found': {
    en: () => 'You have no kept work for this lesson.',
    fr: () => 'Vous n’avez pas de travail gardé pour cette leçon.',
  },
  'sandbox.kept_busy': {
    en: (p) => (p.state === 'attached' ? 'This work is open in a sandbox: download its folder from the Files tab.' : 'This kept work is busy right now (being saved, resumed, downloaded or removed). Try again in a minute.'),
    fr: (p) => (p.state === 'attached' ? 'Ce travail est ouvert dans un bac à sable : téléchargez son dossier depuis l’onglet Fichiers.' : 'Ce travail gardé est occupé en ce moment (enregistré, repris, téléchargé ou supprimé). Réessayez dans une minute.'),
  },
}

function statusFr(status: string): string {
  return ({ starting: 'en démarrage', running: 'en marche', stopping: 'en arrêt', ended: 'terminé', failed: 'en échec' } as Record<string, string>)[status] ?? status
}

function formatWait(seconds: string | number, locale: 'en' | 'fr'): string {
  const s = Math.max(1, Number(seconds))
  if (s < 60) return locale === 'fr' ? `${s} s` : `${s} s`
  const m = Math.ceil(s / 60)
  return locale === 'fr' ? `${m} min` : `${m} min`
}

/** The message of an error code in the learner's language (the UI may also translate `code`). */
export function sandboxErrorMessage(code: SandboxErrorCode, params: Params = {}, locale: 'en' | 'fr' = 'en'): string {
  return messages[code][locale](params)
}

/** HTTP status a route should answer with. */
const httpStatus: Record<SandboxErrorCode, number> = {
  'sandbox.capacity_full': 503,
  'sandbox.rate_limited': 429,
  'sandbox.not_found': 404,
  'sandbox.not_yours': 403,
  'sandbox.not_running': 409,
  'sandbox.node_not_found': 404,
  'sandbox.start_failed': 500,
  'sandbox.unavailable': 503,
  'sandbox.host_full': 503,
  'sandbox.node_died': 409,
  'sandbox.host_lost': 409,
  'sandbox.busy': 503,
  'sandbox.kept_disk_broken': 409,
  'sandbox.kept_host_unavailable': 503,
  'sandbox.steps_unavailable': 409,
  'sandbox.step_not_found': 404,
  'sandbox.restoring': 409,
  'sandbox.kept_not_found': 404,
  'sandbox.kept_busy': 409,
}

export class SandboxError extends Error {
  override readonly name: string = 'SandboxError'
  readonly status: number
  constructor(
    readonly code: SandboxErrorCode,
    readonly params: Params = {},
    options?: { cause?: unknown },
  ) {
    super(sandboxErrorMessage(code, params, 'en'), options)
    this.status = httpStatus[code]
  }
  /** Both languages, for an API answer: { code, params, message: { en, fr } }. */
  toJSON() {
    return {
      code: this.code,
      params: this.params,
      message: { en: sandboxErrorMessage(this.code, this.params, 'en'), fr: sandboxErrorMessage(this.code, this.params, 'fr') },
    }
  }
}

export class SandboxCapacityError extends SandboxError {
  override readonly name = 'SandboxCapacityError'
  constructor(readonly retryAfterMinutes: number) {
    super('sandbox.capacity_full', { retryAfterMinutes })
  }
}

export class SandboxRateLimitError extends SandboxError {
  override readonly name = 'SandboxRateLimitError'
  constructor(
    readonly retryAfterSeconds: number,
    limit: number,
  ) {
    super('sandbox.rate_limited', { retryAfterSeconds, limit })
  }
}

export class SandboxNotFoundError extends SandboxError {
  override readonly name = 'SandboxNotFoundError'
  constructor() {
    super('sandbox.not_found')
  }
}

export class SandboxNotYoursError extends SandboxError {
  override readonly name = 'SandboxNotYoursError'
  constructor() {
    super('sandbox.not_yours')
  }
}

export class SandboxNotRunningError extends SandboxError {
  override readonly name = 'SandboxNotRunningError'
  constructor(readonly sandboxStatus: SandboxStatus) {
    super('sandbox.not_running', { status: sandboxStatus })
  }
}

export class SandboxNodeNotFoundError extends SandboxError {
  override readonly name = 'SandboxNodeNotFoundError'
  constructor(node: string) {
    super('sandbox.node_not_found', { node })
  }
}

export class SandboxStartError extends SandboxError {
  override readonly name = 'SandboxStartError'
  constructor(reason: string, cause?: unknown) {
    super('sandbox.start_failed', { reason }, { cause })
  }
}

/** A node of the sandbox stopped on its own; the sandbox has been ended (its slot is free). */
export class SandboxNodeDiedError extends SandboxError {
  override readonly name = 'SandboxNodeDiedError'
  constructor(
    readonly node: string,
    readonly reason: NodeDeathReason,
  ) {
    super('sandbox.node_died', { node, outOfMemory: reason === 'node_out_of_memory' ? 1 : 0 })
  }
}

/** Docker or the host is not ready for sandboxes (the cause carries the fix). */
export class SandboxUnavailableError extends SandboxError {
  override readonly name = 'SandboxUnavailableError'
  constructor(reason: string, cause?: unknown) {
    super('sandbox.unavailable', { reason }, { cause })
  }
}

/**
 * The host's disk cannot back one more sandbox disk: its free space, minus what the existing
 * sandbox images may still grow into, minus the reserve, is smaller than a sandbox's disk.
 * `fix` is for whoever runs the server.
 */
export class SandboxHostFullError extends SandboxError {
  override readonly name = 'SandboxHostFullError'
  constructor(
    readonly neededMb: number,
    readonly availableMb: number,
    readonly fix: string,
  ) {
    super('sandbox.host_full', { neededMb, availableMb })
  }
}

/** A node did not take the lesson's files in time, twice (a class burst): retryable, the sandbox stays its owner's. */
export class SandboxBusyError extends SandboxError {
  override readonly name = 'SandboxBusyError'
  constructor(
    readonly node: string,
    cause?: unknown,
  ) {
    super('sandbox.busy', { node }, { cause })
  }
}

/** A kept disk could not be mounted (damaged image, no filesystem): the learner gets a fresh sandbox. */
export class KeptDiskBrokenError extends SandboxError {
  override readonly name: string = 'KeptDiskBrokenError'
  constructor(
    readonly diskId: string,
    readonly detail: string,
  ) {
    super('sandbox.kept_disk_broken', { diskId })
    this.message = `kept disk ${diskId} is broken: ${detail}`
  }
}

/** A kept disk's image is not where its host keeps it. */
export class KeptDiskMissingError extends KeptDiskBrokenError {
  override readonly name = 'KeptDiskMissingError'
  constructor(diskId: string) {
    super(diskId, 'its image is missing')
  }
}

/** The host that holds a kept disk does not answer (or is gone): the disk stays kept. */
export class KeptHostUnavailableError extends SandboxError {
  override readonly name = 'KeptHostUnavailableError'
  constructor(readonly host: string) {
    super('sandbox.kept_host_unavailable', { host })
  }
}

export class StepsUnavailableError extends SandboxError {
  override readonly name = 'StepsUnavailableError'
  constructor() {
    super('sandbox.steps_unavailable')
  }
}

/** No kept work of this learner for this lesson (another learner's, or a guess, is not theirs to see). */
export class KeptWorkNotFoundError extends SandboxError {
  override readonly name = 'KeptWorkNotFoundError'
  constructor() {
    super('sandbox.kept_not_found')
  }
}

/** The kept disk is being kept, resumed, moved, downloaded or removed (or runs: `attached`). */
export class KeptWorkBusyError extends SandboxError {
  override readonly name = 'KeptWorkBusyError'
  constructor(readonly state: string) {
    super('sandbox.kept_busy', { state })
  }
}

export class StepNotFoundError extends SandboxError {
  override readonly name = 'StepNotFoundError'
  constructor() {
    super('sandbox.step_not_found')
  }
}
