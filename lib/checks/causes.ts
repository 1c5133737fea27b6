import type fr from '../../messages/fr/exercises.json'
import { safeRegex } from '../text/safe-regex'

// A tool's error line ("curl: (7) Failed to connect to localhost port 8081 after 0 ms: …",
// "nc: bad address 'web'", "** server can't find web: NXDOMAIN") is English and cryptic. When
// a message quotes one, the learner reads its cause instead, in their language ("nothing
// answers on localhost port 8081"), and the output itself apart (a disclosure in the
// checklist). The translation happens when a message is rendered, not when it is stored, so
// the runs already recorded (and the class dashboard's samples of them) read the same way.
//
// Pure and browser-safe: the checklist imports it through messages.ts. The texts come from
// the learner's sandbox, cut to a few hundred characters (`excerpt`); the rules still run on
// RE2 (lib/text/safe-regex.ts), where an unanchored `connect to (\S+) ...` cannot take
// quadratic time as it does in V8 (tests/unit/security/regex-literals.test.ts). An output none
// of them recognises (an author's own message, an unknown tool) is shown as it is.

/** Keys of `exercises.check.cause` in the message catalogues. */
export type CauseKey = `cause.${keyof (typeof fr)['check']['cause'] & string}`

export interface Cause {
  key: CauseKey
  params: Record<string, string | number>
}

/** What else the message knows about the output: the command that printed it and its exit code, or the URL requested. */
export interface OutputContext {
  command?: string
  exitCode?: number
  url?: string
  /** The sandbox's disk was full when the command failed (lib/sandbox/disk-full.server.ts). */
  diskFull?: boolean
}

/** Parameters of each message that hold a tool's raw output (or an error text from a parser). */
export const rawOutputParams: Readonly<Record<string, readonly string[]>> = {
  'http.error': ['error'],
  'http.json.invalid': ['error'],
  'command.exit.differs': ['output'],
  'script.fail': ['output'],
  'file.parse.invalid': ['error'],
  'compose.file.unreadable': ['error'],
}

/** The context a message's own parameters give to its raw output. */
export function outputContext(key: string, params: Record<string, unknown>): OutputContext {
  if (key === 'command.exit.differs') {
    return { command: typeof params.command === 'string' ? params.command : undefined, exitCode: typeof params.found === 'number' ? params.found : undefined }
  }
  if (key === 'script.fail') return { exitCode: typeof params.exitCode === 'number' ? params.exitCode : undefined }
  if (key === 'http.error') return { url: typeof params.url === 'string' ? params.url : undefined }
  return {}
}

const none = 'none'
const cause = (key: CauseKey, params: Record<string, string | number> = {}): Cause => ({ key, params })
const hostPort = (host: string | undefined, port: string | undefined) => ({ host: host || none, port: port || none })

// ---------------------------------------------------------------- curl

/** curl's error number and text ("curl: (7) Failed to connect…"), or its exit code alone. */
function curlCause(code: number, text: string): Cause | null {
  const connect = /Failed to connect to (\S+) port (\d+)/.exec(text)
  const host = connect?.[1]
  const port = connect?.[2]
  switch (code) {
    case 6:
      return cause('cause.unresolved', { host: /Could not resolve host: ([^\s;]+)/.exec(text)?.[1] ?? none })
    case 7:
      if (/Connection refused/i.test(text)) return cause('cause.refused', hostPort(host, port))
      if (/No route to host|Network is unreachable|Host is unreachable/i.test(text)) return cause('cause.noRoute', { host: host ?? none })
      if (/timed out|Timeout was reached/i.test(text)) return cause('cause.connectTimeout', hostPort(host, port))
      return cause('cause.connectFailed', hostPort(host, port))
    case 28: {
      if (/Resolving timed out/i.test(text)) return cause('cause.dnsTimeout')
      if (connect || /Connection timed out/i.test(text)) return cause('cause.connectTimeout', hostPort(host, port))
      const ms = /timed out after (\d+) milli/i.exec(text)?.[1]
      return cause('cause.responseTimeout', { seconds: ms ? String(Math.max(1, Math.round(Number(ms) / 1000))) : none })
    }
    case 22: {
      const status = /returned error: (\d{3})/.exec(text)?.[1]
      return status ? httpStatus(status) : cause('cause.httpError')
    }
    case 52:
      return cause('cause.emptyReply')
    case 56:
      return /reset/i.test(text) ? cause('cause.reset') : cause('cause.connectionLost')
    case 35:
      return cause('cause.tls')
    case 60:
      return cause('cause.certificateUntrusted')
    case 51:
      return cause('cause.certificateName')
    case 1:
    case 3:
      return cause('cause.badUrl')
    case 5:
      return cause('cause.unresolved', { host: /resolve proxy:? ([^\s;]+)/i.exec(text)?.[1] ?? none })
    default:
      return null
  }
}

function httpStatus(status: string): Cause {
  return cause('cause.httpStatus', { status })
}

// ---------------------------------------------------------------- rules on the text

/** A pattern (JavaScript syntax, run on RE2: linear whatever the output), what it means, its flags. */
type Rule = [pattern: string, make: (m: (string | undefined)[]) => Cause, flags?: string]

/** "nope:1.0:" in "no such image: nope:1.0: No such image: nope:1.0"; a container's full id as `docker ps` shows it. */
const trimName = (name: string) => name.replace(/(?<![:;,.])[:;,.]+$/, '').replace(/^([0-9a-f]{12})[0-9a-f]{52}$/, '$1')

// ---------------------------------------------------------------- a full disk

// On a full disk `docker run` and `docker pull` cannot write the layers they fetch from the
// sandbox's registry mirror, fall back to Docker Hub, which the sandbox cannot reach, and
// print that: a registry lookup that fails, not the disk. The text alone cannot tell it from
// an image the mirror does not have; the disk's state (the context) can.
const noSpace = String.raw`no space left on device|disk quota exceeded`
const registryFallback = String.raw`(?:lookup|Get "https://)registry-1\.docker\.io|Pulling fs layer.*(?:no such host|i/o timeout|connection refused)`

/** True when a failure may come from a full disk: what it says, or what `docker run` says instead. Then ask the disk. */
export function mayMeanDiskFull(output: string): boolean {
  return safeRegex(noSpace, 'i').test(output) || safeRegex(registryFallback).test(output)
}

// First match wins: tool-specific lines before the generic phrases they contain.
const rules: Rule[] = [
  [noSpace, () => cause('cause.diskFull'), 'i'],
  // wget (busybox, then GNU)
  [String.raw`wget: bad address '([^']+)'`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`wget: server returned error: HTTP/[\d.]+ (\d{3})`, (m) => httpStatus(m[1]!)],
  [String.raw`wget: download timed out`, () => cause('cause.responseTimeout', { seconds: none })],
  [String.raw`Resolving (\S+) \([^)]*\)\.\.\. failed: (?:Name or service not known|Temporary failure in name resolution|Name does not resolve)`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`unable to resolve host address ['‘’"]?([^\s'‘’"…]+)['‘’"]`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`Connecting to (\S+?)(?: \([^)]*\))?(?:\|[^|]*\|)?:(\d+)\.\.\. failed: Connection refused`, (m) => cause('cause.refused', hostPort(m[1], m[2]))],
  [String.raw`Connecting to (\S+?)(?: \([^)]*\))?(?:\|[^|]*\|)?:(\d+)\.\.\. failed: Connection timed out`, (m) => cause('cause.connectTimeout', hostPort(m[1], m[2]))],
  [String.raw`ERROR (\d{3}): `, (m) => httpStatus(m[1]!)],
  [String.raw`awaiting response\.\.\. ([45]\d\d)\b`, (m) => httpStatus(m[1]!)],
  // nc (busybox, then OpenBSD/GNU)
  [String.raw`nc: bad address '([^']+)'`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`connect to (\S+)(?: \([^)]*\))? port (\d+) \((?:tcp|udp)\) failed: Connection refused`, (m) => cause('cause.refused', hostPort(m[1], m[2]))],
  [String.raw`connect to (\S+)(?: \([^)]*\))? port (\d+) \((?:tcp|udp)\) (?:failed: Connection )?timed out`, (m) => cause('cause.connectTimeout', hostPort(m[1], m[2]))],
  [String.raw`connect to (\S+)(?: \([^)]*\))? port \d+ \((?:tcp|udp)\) failed: (?:No route to host|Network is unreachable|Host is unreachable)`, (m) => cause('cause.noRoute', { host: m[1]! })],
  [String.raw`getaddrinfo for host "([^"]+)"`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`can't connect to remote host \(([^)]+)\): Connection refused`, (m) => cause('cause.refused', hostPort(m[1], undefined))],
  [String.raw`can't connect to remote host \(([^)]+)\): (?:Connection timed out|Operation timed out)`, (m) => cause('cause.connectTimeout', hostPort(m[1], undefined))],
  [String.raw`can't connect to remote host \(([^)]+)\): (?:No route to host|Network is unreachable|Host is unreachable)`, (m) => cause('cause.noRoute', { host: m[1]! })],
  // DNS tools: nslookup (busybox, BIND), dig, ping, host
  [String.raw`server can't find ([^\s:]+): (?:NXDOMAIN|SERVFAIL|REFUSED)`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`nslookup: can't resolve '([^']+)'`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`no servers could be reached|communications error to \S+#53: timed out`, () => cause('cause.dnsTimeout')],
  [String.raw`ping: bad address '([^']+)'`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`ping: unknown host (\S+)`, (m) => cause('cause.unresolved', { host: m[1]! })],
  // iputils ping, bash's /dev/tcp: "<name>: Name or service not known"
  [String.raw`(?:^|\s)([^\s:]+): (?:Name or service not known|Temporary failure in name resolution|Name does not resolve|No address associated with hostname)`, (m) => cause('cause.unresolved', { host: m[1]! })],
  [String.raw`Host (\S+) not found: \d\(NXDOMAIN\)`, (m) => cause('cause.unresolved', { host: m[1]! })],
  // Docker CLI and Compose
  [String.raw`Cannot connect to the Docker daemon`, () => cause('cause.noDaemon')],
  [String.raw`No such container: (\S+)`, (m) => cause('cause.noContainer', { name: trimName(m[1]!) }), 'i'],
  [String.raw`No such image: (\S+)`, (m) => cause('cause.noImage', { name: trimName(m[1]!) }), 'i'],
  [String.raw`Unable to find image '([^']+)' locally`, (m) => cause('cause.imageNotLocal', { name: trimName(m[1]!) })],
  [String.raw`pull access denied for ([^\s,]+)`, (m) => cause('cause.imageNotLocal', { name: trimName(m[1]!) })],
  [String.raw`No such network: (\S+)`, (m) => cause('cause.noNetwork', { name: trimName(m[1]!) }), 'i'],
  [String.raw`get (\S+?): no such volume`, (m) => cause('cause.noVolume', { name: trimName(m[1]!) }), 'i'],
  [String.raw`No such volume: (\S+)`, (m) => cause('cause.noVolume', { name: trimName(m[1]!) }), 'i'],
  [String.raw`No such object: (\S+)`, (m) => cause('cause.noObject', { name: trimName(m[1]!) }), 'i'],
  [String.raw`[Cc]ontainer (\S+) is not running`, (m) => cause('cause.containerNotRunning', { name: trimName(m[1]!) })],
  [String.raw`no configuration file provided: not found`, () => cause('cause.noComposeFile')],
  [String.raw`service "([^"]+)" is not running`, (m) => cause('cause.serviceNotRunning', { name: trimName(m[1]!) })],
  [String.raw`no such service: (\S+)`, (m) => cause('cause.noService', { name: trimName(m[1]!) })],
  // The shell and common commands
  [String.raw`exec: "([^"]+)": executable file not found`, (m) => cause('cause.commandNotFound', { name: m[1]! })],
  [String.raw`(?:^|[\s:])([^\s:]+): command not found`, (m) => cause('cause.commandNotFound', { name: m[1]! })],
  [String.raw`(?:^|\s)(?:ba|da|z)?sh: (?:line )?(?:\d+: )?([^\s:]+): not found`, (m) => cause('cause.commandNotFound', { name: m[1]! })],
  [String.raw`can't open '([^']+)': No such file or directory`, (m) => cause('cause.noSuchFile', { path: m[1]! })],
  [String.raw`sh: (?:line )?\d+: ([^\s:]+): No such file or directory`, (m) => cause('cause.noSuchFile', { path: m[1]! })],
  [String.raw`^[\w.-]+: (?:can't open |cannot access |cannot open )?['‘]?([^\s:'’]+)['’]?: No such file or directory`, (m) => cause('cause.noSuchFile', { path: m[1]! })],
  [String.raw`Permission denied`, () => cause('cause.permissionDenied'), 'i'],
  // Parsers: yaml (the library, and Compose's go-yaml), JSON.parse
  [String.raw`yaml: line (\d+): `, (m) => cause('cause.syntaxLine', { line: m[1]! })],
  [String.raw`at line (\d+), column (\d+)`, (m) => cause('cause.syntaxAt', { line: m[1]!, column: m[2]! })],
  [String.raw`\(line (\d+) column (\d+)\)`, (m) => cause('cause.syntaxAt', { line: m[1]!, column: m[2]! })],
  [String.raw`in JSON at position (\d+)`, (m) => cause('cause.syntaxPosition', { position: Number(m[1]) + 1 })],
  [String.raw`Unexpected end of JSON input`, () => cause('cause.syntaxEnd')],
  [String.raw`Unexpected token '(.)', .* is not valid JSON`, (m) => cause('cause.unexpectedCharacter', { character: m[1]! })],
  // bash's /dev/tcp (the reach probe's last resort, and scripts)
  [String.raw`/dev/tcp/([^/\s]+)/(\d+): Connection refused`, (m) => cause('cause.refused', hostPort(m[1], m[2]))],
  // Generic phrases of the C library, whatever the tool
  [String.raw`Connection refused`, () => cause('cause.refused', hostPort(undefined, undefined)), 'i'],
  [String.raw`No route to host|Network is unreachable|Host is unreachable`, () => cause('cause.noRoute', { host: none }), 'i'],
  [String.raw`Name or service not known|Temporary failure in name resolution|Name does not resolve|nodename nor servname`, () => cause('cause.unresolved', { host: none }), 'i'],
  [String.raw`Connection timed out|Operation timed out`, () => cause('cause.connectTimeout', hostPort(undefined, undefined)), 'i'],
  [String.raw`Connection reset by peer`, () => cause('cause.reset'), 'i'],
]

// ---------------------------------------------------------------- commands that print nothing

/**
 * The words of a simple command (no pipe, no list, no substitution), run directly or through
 * `docker exec [options] <container>`: only then is the exit code the tool's own.
 */
function simpleCommand(command: string | undefined): string[] | null {
  if (!command || /[|;&`$()<>]/.test(command)) return null
  const words = command.trim().split(/\s+/)
  if (words[0] !== 'docker' || words[1] !== 'exec') return words
  let i = 2
  while (i < words.length && words[i]!.startsWith('-')) i += /^-(?:u|e|w|-user|-env|-workdir)$/.test(words[i]!) ? 2 : 1
  return words.slice(i + 1)
}

/** `curl -s` (no -S), `getent hosts`, `nc -z` say nothing when they fail: their exit code does. */
function silentCause(context: OutputContext): Cause | null {
  const words = simpleCommand(context.command)
  const code = context.exitCode
  if (!words || code === undefined || code === 0) return null
  const [tool, ...args] = words
  if (tool === 'curl') return curlCause(code, '')
  if (tool === 'getent' && code === 2 && /^(?:hosts|ahosts|ahostsv4|ahostsv6)$/.test(args[0] ?? '')) {
    return cause('cause.unresolved', { host: args[1] ?? none })
  }
  if (tool === 'nc' && code === 1) {
    const operands = args.filter((a, i) => !a.startsWith('-') && !/^-[wipsqWI]$/.test(args[i - 1] ?? ''))
    return cause('cause.connectFailed', hostPort(operands[0], operands[1]))
  }
  return null
}

/** The URL a simple `curl`/`wget` command requests (its output then speaks of that URL). */
function commandUrl(command: string | undefined): string | undefined {
  const words = simpleCommand(command)
  if (!words || (words[0] !== 'curl' && words[0] !== 'wget')) return undefined
  return words.find((w) => /^https?:\/\//.test(w))
}

/** A host or port the output did not name, from the URL that was requested (curl's "Connection timed out after 2002 ms"). */
function completeFromUrl(found: Cause, url: string | undefined): Cause {
  if (!url || found.params.host !== none) return found
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return found
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80')
  if (found.key === 'cause.unresolved' || found.key === 'cause.noRoute') return cause(found.key, { ...found.params, host })
  if (found.key === 'cause.refused' || found.key === 'cause.connectFailed' || found.key === 'cause.connectTimeout') return cause(found.key, { host, port })
  return found
}

// ---------------------------------------------------------------- entry point

/**
 * The cause of a failure, from a tool's output (and what the message knows of the command),
 * or null when the output says nothing Quai recognises: it is then shown as it is.
 */
export function causeOf(output: string, context: OutputContext = {}): Cause | null {
  const found = textCause(output.replace(/\s+/g, ' ').trim(), context)
  return found && completeFromUrl(found, context.url ?? commandUrl(context.command))
}

function textCause(text: string, context: OutputContext): Cause | null {
  if (context.diskFull && mayMeanDiskFull(text)) return cause('cause.diskFull')
  if (text === '') return silentCause(context)
  // Quai's own words for a file it could not read (the Compose check).
  if (text === 'missing') return cause('cause.fileMissing')
  if (text === 'not-a-file') return cause('cause.notAFile')
  const curl = /curl: \((\d+)\)(.*)/.exec(text)
  if (curl) return curlCause(Number(curl[1]), curl[2] ?? '')
  // parseHttp's words when curl or wget printed nothing.
  const exited = /^(curl|wget) exited with (\d+)$/.exec(text)
  if (exited) return exited[1] === 'curl' ? curlCause(Number(exited[2]), '') : null
  for (const [pattern, make, flags] of rules) {
    const m = safeRegex(pattern, flags).exec(text)
    if (m) return make(m.groups)
  }
  return null
}
