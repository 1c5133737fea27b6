// Which registered quai-agent takes a new sandbox: pure, so the rule is tested without agents.

export type AgentCapacity = {
  memoryFreeMb: number
  memoryTotalMb: number
  diskFreeMb: number
  runningSandboxes: number
  /** The host engine's image tags (the node image must be one). */
  images: string[]
  /** What the host's lesson registry mirror serves, as lessons name images ("nginx:1.26"). */
  mirrorImages?: string[]
}

export type AgentCandidate = {
  name: string
  draining: boolean
  lost: boolean
  /** The last heartbeat's answer; null when it never answered. */
  capacity: AgentCapacity | null
  /** Sandboxes given to it since that answer (the registry's count above the answer's). */
  placedSinceHeartbeat?: number
  /** Its last answer is older than a few heartbeats: not lost yet, but no new sandbox goes there. */
  silent?: boolean
}

/** `images`: the node image, on the host engine; `lessonImages`: what the lesson pulls from the mirror. */
export type SandboxNeeds = { memoryMb: number; diskMb: number; images: string[]; lessonImages?: string[] }

/** `lessonImagesMissing`: no agent with room serves them all; the sandbox went where there is room. */
export type AgentChoice = { ok: true; agent: string; lessonImagesMissing?: string[] } | { ok: false; reason: 'no_agent' | 'missing_images' | 'full' }

/**
 * The agent with the most room for `needs`: not draining, not lost or silent, holding the node
 * image, with the memory and disk the sandbox asks for, and whose mirror serves every lesson
 * image. Room is the smaller of its free memory and free disk counted in sandboxes of this size,
 * so a host short of either is not picked first; ties go to the one running fewer sandboxes, then
 * by name (the same answer on every web instance). When no agent with room serves the lesson's
 * images, the sandbox still goes where there is room, as on a single host whose mirror lacks
 * them: the lesson's text and its other exercises work, and the caller is told what is missing.
 */
export function chooseAgent(candidates: AgentCandidate[], needs: SandboxNeeds): AgentChoice {
  const usable = candidates.filter((c) => !c.draining && !c.lost && !c.silent && c.capacity)
  if (usable.length === 0) return { ok: false, reason: 'no_agent' }
  const withImages = usable.filter((c) => needs.images.every((image) => c.capacity!.images.includes(image) || c.capacity!.images.includes(`${image}:latest`)))
  if (withImages.length === 0) return { ok: false, reason: 'missing_images' }
  const roomy = withImages
    .map((c) => ({ c, capacity: sinceHeartbeat(c.capacity!, c.placedSinceHeartbeat ?? 0, needs) }))
    .map((x) => ({ ...x, room: roomFor(x.capacity, needs), missing: missingLessonImages(x.c.capacity!, needs.lessonImages ?? []) }))
    .filter((x) => x.room >= 1)
    .sort((a, b) => b.room - a.room || a.capacity.runningSandboxes - b.capacity.runningSandboxes || a.c.name.localeCompare(b.c.name))
  const best = roomy.find((x) => x.missing.length === 0)
  if (best) return { ok: true, agent: best.c.name }
  const fallback = roomy[0]
  return fallback ? { ok: true, agent: fallback.c.name, lessonImagesMissing: fallback.missing } : { ok: false, reason: 'full' }
}

/** The lesson images the agent's mirror does not serve ("nginx" is served as "nginx:latest"). */
function missingLessonImages(capacity: AgentCapacity, lessonImages: string[]): string[] {
  const served = new Set(capacity.mirrorImages ?? [])
  return lessonImages.filter((image) => !served.has(image) && !served.has(`${image}:latest`))
}

/** The heartbeat's capacity less what the sandboxes placed since then take (heartbeats are seconds apart). */
function sinceHeartbeat(capacity: AgentCapacity, placed: number, needs: SandboxNeeds): AgentCapacity {
  return {
    ...capacity,
    memoryFreeMb: capacity.memoryFreeMb - placed * needs.memoryMb,
    diskFreeMb: capacity.diskFreeMb - placed * needs.diskMb,
    runningSandboxes: capacity.runningSandboxes + placed,
  }
}

/** How many more sandboxes of this size the agent has room for. */
export function roomFor(capacity: AgentCapacity, needs: SandboxNeeds): number {
  const byMemory = capacity.memoryFreeMb / Math.max(1, needs.memoryMb)
  const byDisk = capacity.diskFreeMb / Math.max(1, needs.diskMb)
  return Math.floor(Math.min(byMemory, byDisk))
}
