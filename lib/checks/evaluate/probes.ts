import { parse as parseYaml } from 'yaml'
import { type AssertionList, assertionId, describeMatch, excerpt, getPath, listOrNone, matchMode, ref, scalarEquals, showValue, textMatches } from '../assertions'
import type { NodeFacts, Probe } from '../facts'
import type { Check } from '../../content/check-kinds'
import { checkLimits } from '../limits'
import type { MessageParams, MessageRef } from '../messages'
import { mb } from './common'

// Kinds whose facts come from a command: a lookup or a connection from a container, an
// HTTP request, a file read, an author's command.

type DnsCheck = Extract<Check, { kind: 'dns' }>
type ReachCheck = Extract<Check, { kind: 'reach' }>
type HttpCheck = Extract<Check, { kind: 'http' }>
type FileCheck = Extract<Check, { kind: 'file' }>
type CommandCheck = Extract<Check, { kind: 'command' }>
type ScriptCheck = Extract<Check, { kind: 'script' }>

/** A probe that could not run in its container: one failed line that says why. */
function probeBlocked(out: AssertionList, id: string, probe: Probe | undefined, from: string | undefined): boolean {
  if (!probe) {
    out.add(id, false, 'probe.notRun', {})
    return true
  }
  if (!('outcome' in probe)) return false
  if (probe.outcome === 'from-missing') out.add(id, false, 'probe.fromMissing', { container: from ?? '' })
  else if (probe.outcome === 'from-stopped') out.add(id, false, 'probe.fromStopped', { container: from ?? '' })
  else if (probe.outcome === 'no-tool') out.add(id, false, 'probe.noTool', { container: from ?? '', tools: probe.tools })
  else return false
  return true
}

/** What was read, in a message: an excerpt, marked when the text was cut at a limit. */
function shownText(text: string, truncated: boolean | undefined, limit: number, max?: number): string | MessageRef {
  const shown = excerpt(text, max) || ref('value.empty')
  return truncated ? ref('value.truncated', { text: shown, limit: mb(limit) }) : shown
}

/** IPv4 addresses of a container on all its networks. */
function addressesOf(facts: NodeFacts, container: string): string[] | null {
  const c = facts.containers.get(container)
  return c ? c.networks.map((n) => n.ipv4).filter(Boolean) : null
}

export function evaluateDns(check: DnsCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const id = assertionId('dns', check.from, check.host)
  const probe = facts.probes.get(String(index))
  if (probeBlocked(out, id, probe, check.from) || probe?.kind !== 'dns' || probe.outcome !== 'done') {
    const p = { from: check.from, host: check.host }
    if (check.resolves && check.address !== undefined) out.pending(`${id}:address`, 'dns.address.expect', { ...p, expected: check.address })
    if (check.resolves && check.addressOf !== undefined) out.pending(`${id}:address-of`, 'dns.addressOf.expect', { ...p, container: check.addressOf })
    return
  }
  const params: MessageParams = { from: check.from, host: check.host, found: listOrNone(probe.addresses) }
  const resolved = probe.addresses.length > 0
  if (!check.resolves) {
    out.expect(id, !resolved, 'dns.notResolves.ok', 'dns.notResolves.fail', params)
    return
  }
  out.expect(id, resolved, 'dns.resolves.ok', 'dns.resolves.fail', params)
  if (check.address !== undefined) {
    out.expect(`${id}:address`, probe.addresses.includes(check.address), 'dns.address.ok', 'dns.address.differs', { ...params, expected: check.address })
  }
  if (check.addressOf !== undefined) {
    const expected = addressesOf(facts, check.addressOf)
    const p = { ...params, container: check.addressOf, expected: listOrNone(expected ?? []) }
    if (expected === null) out.add(`${id}:address-of`, false, 'dns.addressOf.noContainer', p)
    else out.expect(`${id}:address-of`, probe.addresses.some((a) => expected.includes(a)), 'dns.addressOf.ok', 'dns.addressOf.differs', p)
  }
}

export function evaluateReach(check: ReachCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const id = assertionId('reach', check.from, check.host, check.port ?? 'ping')
  const probe = facts.probes.get(String(index))
  if (probeBlocked(out, id, probe, check.from) || probe?.kind !== 'reach' || probe.outcome !== 'done') return
  const params = { from: check.from, host: check.host, port: check.port !== undefined ? String(check.port) : 'none' }
  if (check.reachable) out.expect(id, probe.reached, 'reach.ok', 'reach.fail', params)
  else out.expect(id, !probe.reached, 'reach.blocked.ok', 'reach.blocked.fail', params)
}

export function evaluateHttp(check: HttpCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const base = assertionId('http', check.from ?? facts.node, check.url)
  // The first line is the status when one is expected, else "it answers": the same id whether
  // the request worked or not, so that the checklist keeps its shape from run to run.
  const headId = check.status !== undefined ? `${base}:status` : `${base}:response`
  const probe = facts.probes.get(String(index))
  const where = check.from ? ref('http.fromContainer', { container: check.from }) : ref('http.fromNode', { node: facts.node })
  const params: MessageParams = { url: check.url, method: check.method, where }
  const pendingRest = () => {
    for (const [header, match] of Object.entries(check.responseHeaders ?? {})) out.pending(`${base}:header:${header.toLowerCase()}`, 'http.header.expect', { ...params, header, expected: describeMatch(match) })
    if (check.body !== undefined) out.pending(`${base}:body`, 'http.body.expect', { ...params, expected: describeMatch(check.body) })
    for (const [path, expected] of Object.entries(check.json ?? {})) out.pending(`${base}:json:${path}`, 'http.json.expect', { ...params, path, expected: String(expected) })
  }
  if (probeBlocked(out, headId, probe, check.from) || probe?.kind !== 'http') {
    pendingRest()
    return
  }
  if (probe.outcome === 'error') {
    out.add(headId, false, 'http.error', { ...params, error: excerpt(probe.error, 200) })
    pendingRest()
    return
  }
  if (probe.outcome !== 'done') return

  if (check.status !== undefined) {
    out.expect(headId, probe.status === check.status, 'http.status.ok', 'http.status.differs', { ...params, expected: check.status, found: probe.status })
  } else {
    out.expect(headId, probe.status < 400, 'http.responds.ok', 'http.responds.fail', { ...params, found: probe.status })
  }
  for (const [header, match] of Object.entries(check.responseHeaders ?? {})) {
    const value = probe.headers[header.toLowerCase()]
    const p = { ...params, header, expected: describeMatch(match) }
    if (value === undefined) out.add(`${base}:header:${header.toLowerCase()}`, false, 'http.header.missing', p)
    else out.expect(`${base}:header:${header.toLowerCase()}`, textMatches(match, value), 'http.header.ok', 'http.header.differs', { ...p, found: excerpt(value, 120) })
  }
  if (check.body !== undefined) {
    out.expect(`${base}:body`, textMatches(check.body, probe.body), 'http.body.ok', 'http.body.differs', {
      ...params,
      expected: describeMatch(check.body),
      found: shownText(probe.body, probe.bodyTruncated, checkLimits.httpBodyBytes),
    })
  }
  if (check.json) {
    let parsed: unknown
    let invalid: string | null = null
    try {
      parsed = JSON.parse(probe.body)
    } catch (error) {
      invalid = (error as Error).message
    }
    for (const [path, expected] of Object.entries(check.json)) {
      const id = `${base}:json:${path}`
      const p = { ...params, path, expected: String(expected) }
      if (invalid !== null) {
        out.add(id, false, 'http.json.invalid', { ...p, error: excerpt(invalid, 120), found: shownText(probe.body, probe.bodyTruncated, checkLimits.httpBodyBytes, 80) })
        continue
      }
      const found = getPath(parsed, path)
      if (!found.found) out.add(id, false, 'http.json.missing', p)
      else out.expect(id, scalarEquals(expected, found.value), 'http.json.ok', 'http.json.differs', { ...p, found: showValue(found.value) })
    }
  }
}

export function evaluateFile(check: FileCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const base = assertionId('file', check.path)
  const probe = facts.probes.get(String(index))
  const path = check.path
  if (!probe || probe.kind !== 'file') {
    out.add(`${base}:exists`, false, 'probe.notRun', {})
    return
  }
  if (check.exists === false) {
    out.expect(`${base}:absent`, probe.outcome === 'missing', 'file.absent.ok', 'file.absent.present', { path })
    return
  }
  const read = probe.outcome === 'read'
  const existsKey = read ? 'file.exists.ok' : probe.outcome === 'not-a-file' ? 'file.exists.notAFile' : probe.outcome === 'too-large' ? 'common.fileTooLarge' : 'file.exists.missing'
  out.add(`${base}:exists`, read, existsKey, { path, bytes: probe.outcome === 'too-large' ? probe.bytes : 0 })
  const content = read ? probe.content : null

  for (const text of check.contains ?? []) {
    const p = { path, text: excerpt(text, 80) }
    if (content === null) out.pending(`${base}:contains:${text}`, 'file.contains.expect', p)
    else out.expect(`${base}:contains:${text}`, content.includes(text), 'file.contains.ok', 'file.contains.missing', p)
  }
  for (const text of check.notContains ?? []) {
    const p = { path, text: excerpt(text, 80) }
    if (content === null) out.pending(`${base}:not-contains:${text}`, 'file.notContains.expect', p)
    else out.expect(`${base}:not-contains:${text}`, !content.includes(text), 'file.notContains.ok', 'file.notContains.present', p)
  }
  for (const pattern of check.matches ?? []) {
    const p = { path, pattern }
    if (content === null) out.pending(`${base}:matches:${pattern}`, 'file.matches.expect', p)
    else out.expect(`${base}:matches:${pattern}`, textMatches({ matches: pattern }, content), 'file.matches.ok', 'file.matches.fail', p)
  }

  if (!check.parse) return
  const format = check.parse
  let parsed: unknown
  let error: string | null = null
  if (content !== null) {
    try {
      parsed = format === 'json' ? JSON.parse(content) : parseYaml(content)
    } catch (e) {
      error = (e as Error).message.split('\n')[0] ?? 'parse error'
    }
  }
  const parseId = `${base}:parse`
  if (content === null) out.pending(parseId, 'file.parse.expect', { path, format })
  else out.add(parseId, error === null, error === null ? 'file.parse.ok' : 'file.parse.invalid', { path, format, error: excerpt(error ?? '', 160) })
  const usable = content !== null && error === null
  for (const key of check.keys ?? []) {
    const id = `${base}:key:${key}`
    if (!usable) out.pending(id, 'file.key.expect', { path, key })
    else out.expect(id, getPath(parsed, key).found, 'file.key.ok', 'file.key.missing', { path, key })
  }
  for (const [key, expected] of Object.entries(check.values ?? {})) {
    const id = `${base}:value:${key}`
    const p = { path, key, expected: String(expected) }
    if (!usable) {
      out.pending(id, 'file.value.expect', p)
      continue
    }
    const found = getPath(parsed, key)
    if (!found.found) out.add(id, false, 'file.key.missing', p)
    else out.expect(id, scalarEquals(expected, found.value), 'file.value.ok', 'file.value.differs', { ...p, found: showValue(found.value) })
  }
}

export function evaluateCommand(check: CommandCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const id = assertionId('command', index)
  const probe = facts.probes.get(String(index))
  const command = excerpt(check.run, 100)
  if (!probe || probe.kind !== 'command') return out.add(id, false, 'probe.notRun', {})
  if (probe.timedOut) {
    if (check.label) out.add(id, false, 'script.timeout', { label: check.label })
    else {
      out.add(`${id}:exit`, false, 'command.timeout', { command })
      if (check.stdout !== undefined) out.pending(`${id}:stdout`, 'command.stdout.expect', { command, expected: describeMatch(check.stdout) })
    }
    return
  }
  const output = excerpt(probe.stderr || probe.stdout, 160) || ref('value.empty')
  const exitOk = probe.exitCode === check.exitCode
  const exitParams = { command, expected: check.exitCode, found: probe.exitCode, output }
  let stdoutOk = true
  let stdoutParams: MessageParams = {}
  if (check.stdout !== undefined) {
    const { mode } = matchMode(check.stdout)
    // Shells end output with a newline the author did not write in "equals".
    const stdout = mode === 'equals' ? probe.stdout.replace(/\r?\n$/, '') : probe.stdout
    stdoutOk = textMatches(check.stdout, stdout)
    stdoutParams = { command, expected: describeMatch(check.stdout), found: shownText(probe.stdout, probe.stdoutTruncated, checkLimits.commandOutputBytes) }
  }
  if (check.label) {
    // An author's label says what the command proves: one line, with the reason when it fails.
    if (exitOk && stdoutOk) out.add(id, true, 'script.ok', { label: check.label })
    else {
      const detail = !exitOk ? ref('command.exit.differs', exitParams) : ref('command.stdout.differs', stdoutParams)
      out.add(id, false, 'command.labelled.fail', { label: check.label, detail })
    }
    return
  }
  out.expect(`${id}:exit`, exitOk, 'command.exit.ok', 'command.exit.differs', exitParams)
  if (check.stdout !== undefined) out.expect(`${id}:stdout`, stdoutOk, 'command.stdout.ok', 'command.stdout.differs', stdoutParams)
}

export function evaluateScript(check: ScriptCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const id = assertionId('script', index)
  const probe = facts.probes.get(String(index))
  const label = check.label
  if (!probe || probe.kind !== 'command') return out.add(id, false, 'probe.notRun', {})
  if (probe.timedOut) return out.add(id, false, 'script.timeout', { label })
  out.expect(id, probe.exitCode === 0, 'script.ok', 'script.fail', {
    label,
    exitCode: probe.exitCode,
    output: excerpt(probe.stderr.trim() || probe.stdout.trim(), 200) || ref('value.empty'),
  })
}
