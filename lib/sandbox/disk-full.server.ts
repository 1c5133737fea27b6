import 'server-only'
import { sandboxPlacement } from './state.server'

// A sandbox whose disk is full: `docker run` then fails with errors that name something else
// (a registry lookup, a layer that cannot be written). Where Quai can tell, it says the disk is full.

const noSpace = /no space left on device|ENOSPC|disk quota exceeded/i

export function isNoSpaceError(text: string): boolean {
  return noSpace.test(text)
}

/** Below this much free space a sandbox's disk counts as full (ext4 keeps a little that Docker cannot use). */
const fullBelowBytes = 8 * 1024 * 1024

export async function sandboxDiskFull(sandboxId: string): Promise<boolean> {
  const space = await sandboxPlacement().diskSpace(sandboxId)
  return space !== null && space.freeBytes < fullBelowBytes
}
