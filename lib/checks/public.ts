import type { Exercise } from '../content/schema'
import { runsCommands, type Check, type CheckKind } from '../content/check-kinds'

// What the browser may know about an exercise before the learner asks for more: the text,
// how many hints there are, and one line per check (its label, or a summary such as
// "Réseau tp-network"). Never the solution, the setup, the hints' text, nor the checks'
// expected values or commands.

export type SummaryKey =
  | 'image' | 'container' | 'containerService' | 'network' | 'dns' | 'reach' | 'volume' | 'compose' | 'http'
  | 'swarm' | 'service' | 'secret' | 'config' | 'stack' | 'file' | 'command' | 'script'

export interface PublicCheck {
  index: number
  kind: CheckKind
  /** The author's label, when there is one. */
  label: string | null
  /** Otherwise a summary, rendered with the `exercises.summary.<key>` message. */
  summary: { key: SummaryKey; params: Record<string, string> }
  /** The check runs a command in the sandbox (command and script kinds): the UI says so. */
  runsCommand: boolean
}

export interface PublicExercise {
  id: string
  title: string
  /** Markdown, rendered safely by the panel (no raw HTML). */
  instructions: string
  node: string | null
  hintCount: number
  timeoutSeconds: number
  registryOnly: { image: string; reason: string }[]
  checks: PublicCheck[]
}

function summaryOf(check: Check, index: number): PublicCheck['summary'] {
  switch (check.kind) {
    case 'container':
      return check.name ? { key: 'container', params: { name: check.name } } : { key: 'containerService', params: { name: check.service! } }
    case 'dns':
    case 'reach':
      return { key: check.kind, params: { from: check.from, host: check.host } }
    case 'http':
      return { key: 'http', params: { url: check.url } }
    case 'compose':
      return { key: 'compose', params: { name: check.project } }
    case 'swarm':
      return { key: 'swarm', params: {} }
    case 'file':
      return { key: 'file', params: { name: check.path } }
    case 'command':
      return { key: 'command', params: { name: String(index + 1) } }
    case 'script':
      return { key: 'script', params: { name: check.label } }
    default:
      return { key: check.kind, params: { name: check.name } }
  }
}

export function toPublicExercise(exercise: Exercise): PublicExercise {
  return {
    id: exercise.id,
    title: exercise.title,
    instructions: exercise.instructions,
    node: exercise.node ?? null,
    hintCount: exercise.hints.length,
    timeoutSeconds: exercise.timeoutSeconds,
    registryOnly: exercise.registryOnly ?? [],
    checks: exercise.checks.map((check, index) => ({
      index,
      kind: check.kind,
      label: check.label ?? null,
      summary: summaryOf(check, index),
      runsCommand: runsCommands(check),
    })),
  }
}

// The live stream (GET /api/sandboxes/<id>/live, Server-Sent Events), as both ends know it.

/** The server writes a keep-alive comment this often while a stream is open. */
export const liveHeartbeatMs = 20_000
/** A browser that heard nothing for this long (two keep-alives missed) takes the stream for cut and reconnects. */
export const liveSilenceMs = 2 * liveHeartbeatMs + 5_000
