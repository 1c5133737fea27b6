// How much learner-controlled text a check reads: every output, file and response the checks
// match against is bounded here, in one place (documented in docs/authoring.md). Patterns run
// on RE2 (lib/text/safe-regex.ts), linear in the text: a typical pattern reads 1 MiB in about
// 30 ms, a crafted one at the largest program allowed in under a second. Beyond the limits,
// the rest is dropped, and a failed assertion says that only the beginning was checked.

const KiB = 1024
const MiB = 1024 * KiB

export const checkLimits = {
  /** stdout and stderr of a command or script check: each stream, the rest dropped. */
  commandOutputBytes: 1 * MiB,
  /** A file a check reads (file checks, Dockerfiles, files in volumes): larger ones are "too large", unread. */
  fileBytes: 1 * MiB,
  /** The Compose files of a project read for one check, all together. */
  composeFilesBytes: 1 * MiB,
  /** The body of an HTTP response, the rest dropped (headers come on top). */
  httpBodyBytes: 1 * MiB,
  /** The output of a DNS or connection probe run inside a container: a few lines are expected. */
  probeOutputBytes: 64 * KiB,
  /**
   * What a node or container exec may carry: the largest limit above plus room for Quai's marker
   * lines and HTTP headers, so that a limit is reached (and reported) before the transport's.
   */
  execOutputBytes: 1 * MiB + 64 * KiB,
} as const

/** The first `maxBytes` bytes of a text in UTF-8 (a character cut in two is dropped), and whether anything was cut. */
export function clipText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // Fewer UTF-16 units than maxBytes / 3 cannot exceed it: skip the encoding then.
  if (text.length * 3 <= maxBytes) return { text, truncated: false }
  const bytes = new TextEncoder().encode(text)
  if (bytes.length <= maxBytes) return { text, truncated: false }
  let end = maxBytes
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return { text: new TextDecoder().decode(bytes.subarray(0, end)), truncated: true }
}
