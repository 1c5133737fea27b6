import type { CommandProbe, DnsProbe, FileProbe, HttpProbe, ReachProbe } from './facts'
import { checkLimits, clipText } from './limits'

// The read-only commands some checks run, and the parsers of their output. Probes inside a
// learner's container must work with whatever the image has: busybox, Debian slim (no nc, no
// ping, but bash and getent), Alpine, or curl images. Each script tries the tools in order and
// exits 97 when it has none, so that the learner reads "no tool to test from X" rather than a
// false "unreachable". Everything here is pure: unit tests feed it captured outputs.

export const NO_TOOL_EXIT = 97

/** Single-quote a string for sh/bash. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** 126/127 with no output: the image has no `sh` at all (distroless, scratch). */
function noShell(exitCode: number, stdout: string): boolean {
  return (exitCode === 126 || exitCode === 127) && stdout.trim() === ''
}

// ---------------------------------------------------------------- dns

// Each tool is tried in turn until one returns an address: an image may have getent that
// cannot do "ahostsv4" (musl), or dig that ignores /etc/hosts. A tool that ran and found
// nothing means "does not resolve"; no tool at all means "cannot tell" (exit 97).
export const dnsScript = [
  'h="$1"; ran=0',
  'try() { if [ -n "$1" ]; then echo "$1"; exit 0; fi; }',
  'if command -v getent >/dev/null 2>&1; then ran=1; try "$(getent ahostsv4 "$h" 2>/dev/null | awk \'{print $1}\')"; try "$(getent hosts "$h" 2>/dev/null | awk \'{print $1}\')"; fi',
  'if command -v nslookup >/dev/null 2>&1; then ran=1; try "$(nslookup "$h" 2>/dev/null | awk \'/^Name:/{f=1;next} f{for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/) print $i}\')"; fi',
  'if command -v dig >/dev/null 2>&1; then ran=1; try "$(dig +short "$h" 2>/dev/null | grep -E \'^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$\')"; fi',
  'if command -v ping >/dev/null 2>&1; then ran=1; try "$(ping -c 1 -W 1 "$h" 2>/dev/null | sed -n \'1s/^PING [^(]*(\\([0-9.]*\\)).*/\\1/p\')"; fi',
  `if [ "$ran" = 1 ]; then exit 0; fi`,
  `exit ${NO_TOOL_EXIT}`,
].join('\n')

export function dnsCommand(host: string): string[] {
  return ['sh', '-c', dnsScript, 'sh', host]
}

export function parseDns(exitCode: number, stdout: string): DnsProbe {
  if (exitCode === NO_TOOL_EXIT || noShell(exitCode, stdout)) return { outcome: 'no-tool', tools: 'getent, nslookup, dig, ping' }
  const addresses = [...new Set(stdout.split(/\s+/).filter((s) => /^\d+\.\d+\.\d+\.\d+$/.test(s)))]
  return { outcome: 'done', addresses }
}

// ---------------------------------------------------------------- reach

// nc comes in flavours: OpenBSD/GNU have -z (connect and quit); busybox has none but runs
// a program once connected (-e), which ends the connection at once. Without either, a server
// that keeps the connection open would hold nc until the timeout. Debian's OpenBSD nc
// indents its options with a tab ("\t\t-z\t\tZero-I/O mode"), GNU's with spaces.
export const reachScript = [
  'h="$1"; p="$2"; t=3',
  'if command -v timeout >/dev/null 2>&1; then tm="timeout 5"; else tm=""; fi',
  'if [ -z "$p" ]; then',
  '  if command -v ping >/dev/null 2>&1; then if ping -c 1 -W 2 "$h" >/dev/null 2>&1; then echo "ok ping"; else echo "fail ping"; fi; exit 0; fi',
  `  exit ${NO_TOOL_EXIT}`,
  'fi',
  'if command -v nc >/dev/null 2>&1; then',
  '  case "$(nc -h 2>&1)" in',
  '    *" -z"* | *"\t-z"*) $tm nc -z -w $t "$h" "$p" >/dev/null 2>&1 ;;',
  '    *"-e PROG"*) $tm nc -w $t "$h" "$p" -e true >/dev/null 2>&1 ;;',
  '    *) $tm nc -w $t "$h" "$p" </dev/null >/dev/null 2>&1 ;;',
  '  esac',
  '  if [ $? = 0 ]; then echo "ok nc"; else echo "fail nc"; fi; exit 0',
  'fi',
  'if command -v bash >/dev/null 2>&1; then',
  '  if $tm bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$h" "$p" 2>/dev/null; then echo "ok bash"; else echo "fail bash"; fi; exit 0',
  'fi',
  `exit ${NO_TOOL_EXIT}`,
].join('\n')

export function reachCommand(host: string, port?: number): string[] {
  return ['sh', '-c', reachScript, 'sh', host, port ? String(port) : '']
}

export function parseReach(exitCode: number, stdout: string, port?: number): ReachProbe {
  if (exitCode === NO_TOOL_EXIT || noShell(exitCode, stdout)) return { outcome: 'no-tool', tools: port ? 'nc, bash' : 'ping' }
  const line = stdout.trim().split('\n').pop() ?? ''
  const [verdict, via] = line.split(' ')
  return { outcome: 'done', reached: verdict === 'ok', detail: via ?? '' }
}

// ---------------------------------------------------------------- http

export interface HttpRequestSpec {
  url: string
  method: 'GET' | 'HEAD' | 'POST'
  headers?: Record<string, string>
  insecure?: boolean
  timeoutSeconds: number
}

/**
 * The curl command of a request: headers then body on stdout (`-D -`), no redirect followed.
 * HEAD is `-I`, which prints the headers by itself (with `-D -` too, each line came twice).
 * POST is sent without a body: a check reads, it has nothing to submit.
 */
export function curlArgs(spec: HttpRequestSpec): string[] {
  const args = ['curl', '-sS', ...(spec.method === 'HEAD' ? ['-I'] : ['-D', '-']), '--max-time', String(spec.timeoutSeconds)]
  if (spec.method === 'POST') args.push('-X', 'POST')
  if (spec.insecure) args.push('-k')
  for (const [k, v] of Object.entries(spec.headers ?? {})) args.push('-H', `${k}: ${v}`)
  args.push('--', spec.url)
  return args
}

/** Run on the sandbox node (bash, curl installed there). Output: "curl" line, then headers and body. */
export function httpNodeCommand(spec: HttpRequestSpec): string {
  return `echo curl; ${curlArgs(spec).map(shq).join(' ')}`
}

/** Run inside a container: curl when the image has it, else busybox/GNU wget (GET only). */
export function httpContainerCommand(spec: HttpRequestSpec): string[] {
  const curl = curlArgs(spec).map(shq).join(' ')
  const wgetHeaders = Object.entries(spec.headers ?? {})
    .map(([k, v]) => `--header ${shq(`${k}: ${v}`)}`)
    .join(' ')
  // busybox wget -S crashes when its stderr is the exec stream itself: both outputs go
  // through a pipe. With -q, the headers (indented) come first, an indented blank line, then
  // the body; an error status prints only its status line.
  // -T is left out: it makes Debian's static busybox wget crash; `timeout` bounds it instead.
  const wget = `$tm wget -q -S -O - ${spec.insecure ? '--no-check-certificate ' : ''}${wgetHeaders} ${shq(spec.url)} 2>&1 | cat`
  const script = [
    `if command -v curl >/dev/null 2>&1; then echo curl; ${curl}; exit $?; fi`,
    spec.method === 'GET'
      ? `if command -v wget >/dev/null 2>&1; then if command -v timeout >/dev/null 2>&1; then tm="timeout ${spec.timeoutSeconds}"; else tm=""; fi; echo wget; ${wget}; exit 0; fi`
      : '',
    `exit ${NO_TOOL_EXIT}`,
  ]
    .filter(Boolean)
    .join('\n')
  return ['sh', '-c', script]
}

function parseHeaderBlock(lines: string[]): { status: number; headers: Record<string, string> } | null {
  let status = 0
  const headers: Record<string, string> = {}
  for (const raw of lines) {
    const line = raw.trim()
    const statusLine = /^HTTP\/[\d.]+\s+(\d{3})/.exec(line)
    if (statusLine) {
      // A later status line (after a 100 Continue or a proxy CONNECT) replaces the earlier one.
      status = Number(statusLine[1])
      for (const k of Object.keys(headers)) delete headers[k]
      continue
    }
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return status ? { status, headers } : null
}

export function parseHttp(exitCode: number, stdout: string, stderr: string): HttpProbe {
  if (exitCode === NO_TOOL_EXIT || noShell(exitCode, stdout)) return { outcome: 'no-tool', tools: 'curl, wget' }
  const firstNewline = stdout.indexOf('\n')
  const via = stdout.slice(0, firstNewline === -1 ? undefined : firstNewline).trim()
  const rest = firstNewline === -1 ? '' : stdout.slice(firstNewline + 1)
  if (via === 'wget') {
    const lines = rest.split('\n')
    const headerLines: string[] = []
    let i = 0
    for (; i < lines.length && /^ {2}/.test(lines[i]!); i++) {
      if (lines[i]!.trim() === '') {
        i++
        break
      }
      headerLines.push(lines[i]!)
    }
    const parsed = parseHeaderBlock(headerLines)
    if (!parsed) return { outcome: 'error', error: lastLine(rest) || `wget exited with ${exitCode}` }
    const ended = lines[i - 1]?.trim() === '' && i > headerLines.length
    return done(parsed, ended ? lines.slice(i).join('\n') : '')
  }
  // curl -D -: one or more header blocks, each ended by an empty line, then the body.
  let text = rest
  let parsed: { status: number; headers: Record<string, string> } | null = null
  for (;;) {
    const end = text.search(/\r?\n\r?\n/)
    if (!/^HTTP\//.test(text) || end === -1) break
    const block = text.slice(0, end)
    const sep = /\r?\n\r?\n/.exec(text.slice(end))![0]
    text = text.slice(end + sep.length)
    const next = parseHeaderBlock(block.split(/\r?\n/))
    if (next) parsed = next
    if (!(next && (next.status === 100 || (next.status >= 300 && next.status < 400 && /^HTTP\//.test(text))))) break
  }
  if (!parsed) return { outcome: 'error', error: curlError(stderr) || `curl exited with ${exitCode}` }
  return done(parsed, text)
}

/** A response, its body cut at checkLimits.httpBodyBytes. */
function done(parsed: { status: number; headers: Record<string, string> }, body: string): HttpProbe {
  const clipped = clipText(body, checkLimits.httpBodyBytes)
  return { outcome: 'done', status: parsed.status, headers: parsed.headers, body: clipped.text, ...(clipped.truncated ? { bodyTruncated: true } : {}) }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? ''
}

/** curl's own error line ("curl: (60) SSL certificate problem: …"), not the advice it prints after it. */
function curlError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim())
  return lines.filter((l) => /^curl: \(\d+\)/.test(l)).pop() ?? lastLine(stderr)
}

// ---------------------------------------------------------------- files

/** Read a file on the node (relative to the working folder, or absolute). */
export function fileReadCommand(path: string): string {
  const f = shq(path)
  return [
    `f=${f}`,
    'if [ ! -e "$f" ]; then echo __QUAI_MISSING__; exit 0; fi',
    'if [ ! -f "$f" ]; then echo __QUAI_NOT_A_FILE__; exit 0; fi',
    's=$(stat -c %s -- "$f"); m=$(stat -c %.3Y -- "$f" 2>/dev/null || stat -c %Y -- "$f")',
    'echo "__QUAI_FILE__ $s $m"',
    `if [ "$s" -le ${checkLimits.fileBytes} ]; then head -c ${checkLimits.fileBytes + 1} -- "$f"; fi`,
  ].join('\n')
}

export function parseFileRead(stdout: string): FileProbe {
  const newline = stdout.indexOf('\n')
  const head = (newline === -1 ? stdout : stdout.slice(0, newline)).trim()
  if (head === '__QUAI_MISSING__') return { outcome: 'missing' }
  if (head === '__QUAI_NOT_A_FILE__') return { outcome: 'not-a-file' }
  const m = /^__QUAI_FILE__ (\d+) ([\d.]+)$/.exec(head)
  if (!m) return { outcome: 'missing' }
  const bytes = Number(m[1])
  if (bytes > checkLimits.fileBytes) return { outcome: 'too-large', bytes }
  // A file that grew between stat and read is cut: too large as well.
  const content = clipText(newline === -1 ? '' : stdout.slice(newline + 1), checkLimits.fileBytes)
  if (content.truncated) return { outcome: 'too-large', bytes: checkLimits.fileBytes + 1 }
  return { outcome: 'read', content: content.text, mtime: Number(m[2]) }
}

// ---------------------------------------------------------------- commands

export const TIMEOUT_EXIT = 124

/** Bound an author's command by `timeout`, so that a hung script stops inside the budget. */
export function boundedCommand(run: string, seconds: number): string {
  return `timeout -k 1 ${Math.max(1, Math.floor(seconds))} bash -c ${shq(run)}`
}

/** The probe of a command or script check, its output cut at checkLimits.commandOutputBytes. */
export function commandProbe(exitCode: number, stdout: string, stderr: string): CommandProbe {
  const out = clipText(stdout, checkLimits.commandOutputBytes)
  const err = clipText(stderr, checkLimits.commandOutputBytes)
  return { exitCode, stdout: out.text, stderr: err.text, timedOut: exitCode === TIMEOUT_EXIT || exitCode === 137, ...(out.truncated ? { stdoutTruncated: true } : {}) }
}

// ---------------------------------------------------------------- Dockerfiles and Compose files

/**
 * Build stages of a Dockerfile: its FROM instructions (comments and continuations aside).
 * String operations, not a pattern: `^\s*FROM\s+(.+?)\s*$` backtracked for seconds on one
 * line of "FROM a", 64 KiB of spaces and "AS b", and its cost grew with the square of the line.
 */
export function dockerfileStages(content: string): string[] {
  const stages: string[] = []
  for (const line of content.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const text = line.trim()
    if (text.slice(0, 4).toUpperCase() !== 'FROM') continue
    const rest = text.slice(4)
    const image = rest.trimStart()
    // "FROMx" is another word; "FROM" alone names nothing.
    if (image !== rest && image !== '') stages.push(image)
  }
  return stages
}

/** Compose's own label: "db:service_healthy:false,cache:service_started:true" → dependencies. */
export function parseComposeDependsOnLabel(label: string): { on: string; condition: string }[] {
  return label
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [on, condition] = part.split(':')
      return { on: on ?? '', condition: condition || 'service_started' }
    })
}

/** depends_on from a parsed Compose file: a list of names, or a map with conditions. */
export function composeFileDependsOn(service: unknown): { on: string; condition: string }[] {
  const dependsOn = (service as { depends_on?: unknown } | null)?.depends_on
  if (Array.isArray(dependsOn)) return dependsOn.map((on) => ({ on: String(on), condition: 'service_started' }))
  if (dependsOn && typeof dependsOn === 'object') {
    return Object.entries(dependsOn as Record<string, { condition?: string } | null>).map(([on, v]) => ({
      on,
      condition: v?.condition ?? 'service_started',
    }))
  }
  return []
}

// ---------------------------------------------------------------- several probes, one exec

/**
 * Several probe commands (each `['sh', '-c', script, 'sh', ...args]`) in one exec: an exec into
 * a learner's container costs tens of milliseconds, a probe a few. They run at the same time
 * (a connection expected to fail waits for its timeout), each output line prefixed with the
 * probe's number by the shell itself, then a line with its exit code.
 */
export function batchedProbeCommand(commands: string[][]): string[] {
  const steps = commands.map((cmd, i) => {
    const [, , script = '', , ...args] = cmd
    return `{ sh -c ${shq(script)} sh ${args.map(shq).join(' ')}; echo "@@quai-exit $?"; } 2>/dev/null | while IFS= read -r line || [ -n "$line" ]; do echo "${i} $line"; done &`
  })
  return ['sh', '-c', [...steps, 'wait'].join('\n')]
}

/** Each probe's exit code and output from a batched run (126/127 and no output: no shell at all). */
export function splitBatchedOutput(count: number, exitCode: number, stdout: string): { exitCode: number; stdout: string }[] {
  const lines = Array.from({ length: count }, () => [] as string[])
  const codes: (number | null)[] = Array.from({ length: count }, () => null)
  for (const line of stdout.split('\n')) {
    const match = /^(\d+) (.*)$/.exec(line)
    const i = Number(match?.[1] ?? -1)
    if (!match || i < 0 || i >= count) continue
    const exit = /^@@quai-exit (\d+)$/.exec(match[2] ?? '')
    if (exit) codes[i] = Number(exit[1])
    else lines[i]!.push(match[2] ?? '')
  }
  return lines.map((l, i) => ({ exitCode: codes[i] ?? exitCode, stdout: l.length ? `${l.join('\n')}\n` : '' }))
}
