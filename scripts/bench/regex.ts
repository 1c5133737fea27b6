// Patterns over learner-controlled text (lib/text/safe-regex.ts, lib/checks), four figures:
//   regex_from_line_ms           a Dockerfile line "FROM a", 64 KiB of spaces, "AS b", through
//                                dockerfileStages (string operations since issue 11)
//   regex_author_2mib_ms         an author's ^\s*2\s*$ (m flag, as checks use it) over 2 MiB of
//                                newlines, through the command check's textMatches (RE2)
//   regex_throughput_mb_s        RE2 over 2 MiB of typical output (an access log) with a pattern
//                                that has no literal to skip to: ^\s*([1-9]|10)\s*$, m flag
//   regex_v8_from_line_ms        the pattern dockerfileStages used before, on V8, same line: the
//                                reference (the author's pattern on V8 would take about an hour at
//                                2 MiB; at 64 KiB it is printed below, for the record)
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/regex.ts
import { pathToFileURL } from 'node:url'
import { textMatches } from '../../lib/checks/assertions'
import { dockerfileStages } from '../../lib/checks/probes'
import { compileSafeRegex } from '../../lib/text/safe-regex'

export type RegexBench = { regex_from_line_ms: number; regex_author_2mib_ms: number; regex_throughput_mb_s: number; regex_v8_from_line_ms: number }

const MiB = 1024 * 1024
const round = (n: number) => Math.round(n * 10) / 10

/** Median time of `runs` calls, in ms. */
function time(fn: () => unknown, runs = 5): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    fn()
    times.push(performance.now() - started)
  }
  return round(times.sort((a, b) => a - b)[Math.floor(runs / 2)]!)
}

function accessLog(bytes: number): string {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = `172.18.0.${i % 250} - - [01/Dec/2026:10:${String(i % 60).padStart(2, '0')}:00 +0000] "GET /api/escales/${i} HTTP/1.1" 200 ${512 + (i % 97)} "-" "curl/8.5.0"`
    lines.push(line)
    size += line.length + 1
  }
  return lines.join('\n')
}

export async function benchRegex(): Promise<RegexBench> {
  const fromLine = `FROM a${' '.repeat(64 * 1024)}AS b\n`
  const regex_from_line_ms = time(() => dockerfileStages(fromLine))
  const regex_v8_from_line_ms = time(() => /^\s*FROM\s+(.+?)\s*$/i.exec(fromLine.trimEnd()), 1)

  // Ending in "2x" so that RE2 cannot answer from the absence of a "2" alone: it scans it all.
  const newlines = `${'\n'.repeat(2 * MiB)}2x`
  const author = { matches: '^\\s*2\\s*$' }
  const regex_author_2mib_ms = time(() => textMatches(author, newlines))
  const authorNoFlag = compileSafeRegex('^\\s*2\\s*$')
  const author_2mib_no_m_ms = time(() => authorNoFlag.test(newlines))
  const v8_64kib_ms = time(() => /^\s*2\s*$/m.test(newlines.slice(0, 64 * 1024)), 1)

  const log = accessLog(2 * MiB)
  const noLiteral = compileSafeRegex('^\\s*([1-9]|10)\\s*$', 'm')
  const scan_ms = time(() => noLiteral.test(log))
  const regex_throughput_mb_s = round(log.length / MiB / (scan_ms / 1000))
  const withLiteral = compileSafeRegex('"GET /api/escales/\\d+ HTTP/1\\.1" 500', 'm')
  const literal_ms = time(() => withLiteral.test(log))
  // The worst an author can do within MAX_PROGRAM_SIZE: a pattern built to keep hundreds of RE2 threads alive.
  const crafted = compileSafeRegex('(?:[ab]{12}a[ab]{12}){19}$', 'm')
  let seed = 1
  const ab = Array.from({ length: MiB }, (_, i) => (i % 5000 === 4999 ? '\n' : ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 1 ? 'a' : 'b')).join('')
  const crafted_ms = time(() => crafted.test(ab), 3)

  console.log(`FROM line with 64 KiB of spaces: ${regex_from_line_ms} ms (the former pattern on V8: ${regex_v8_from_line_ms} ms)`)
  console.log(`^\\s*2\\s*$ over 2 MiB of newlines on RE2: ${regex_author_2mib_ms} ms with m, ${author_2mib_no_m_ms} ms without (V8 with m: ${v8_64kib_ms} ms for 64 KiB alone, quadratic)`)
  console.log(`RE2 over 2 MiB of access log: ${scan_ms} ms without a literal (${regex_throughput_mb_s} MiB/s), ${literal_ms} ms with one`)
  console.log(`RE2, crafted pattern of ${crafted.programSize} instructions over 1 MiB: ${crafted_ms} ms`)
  return { regex_from_line_ms, regex_author_2mib_ms, regex_throughput_mb_s, regex_v8_from_line_ms }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await benchRegex()))
