import { type AssertionList, assertionId, imageMatches, listOrNone, ref } from '../assertions'
import type { NodeFacts, ServiceFacts } from '../facts'
import type { Check } from '../../content/check-kinds'
import type { MessageParams } from '../messages'
import { mapLines, missingParams, propLine, subject } from './common'

type SwarmCheck = Extract<Check, { kind: 'swarm' }>
type ServiceCheck = Extract<Check, { kind: 'service' }>
type SecretCheck = Extract<Check, { kind: 'secret' | 'config' }>
type StackCheck = Extract<Check, { kind: 'stack' }>

/** Swarm reads need an active swarm and a manager; say which is missing instead of "not found". */
function swarmBlocker(facts: NodeFacts): { key: 'swarm.notActive' | 'swarm.notManager'; params: MessageParams } | null {
  const swarm = facts.swarm
  if (!swarm || swarm.localNodeState !== 'active') return { key: 'swarm.notActive', params: { node: facts.node, state: swarm?.localNodeState ?? 'inactive' } }
  if (!swarm.isManager) return { key: 'swarm.notManager', params: { node: facts.node } }
  return null
}

export function evaluateSwarm(check: SwarmCheck, facts: NodeFacts, out: AssertionList): void {
  const swarm = facts.swarm
  const state = swarm?.localNodeState ?? 'inactive'
  const active = state === 'active'
  const base = assertionId('swarm', facts.node)
  if (!check.active) {
    out.expect(`${base}:inactive`, !active, 'swarm.inactive.ok', 'swarm.inactive.fail', { node: facts.node, state })
    return
  }
  out.expect(`${base}:active`, active, 'swarm.active.ok', 'swarm.active.fail', { node: facts.node, state, role: swarm?.isManager ? 'manager' : 'worker' })

  const nodes = swarm?.nodeList ?? null
  const count = (role: 'manager' | 'worker') =>
    nodes ? nodes.filter((n) => n.role === role).length : role === 'manager' ? (swarm?.managers ?? 0) : Math.max(0, (swarm?.nodes ?? 0) - (swarm?.managers ?? 0))
  for (const role of ['manager', 'worker'] as const) {
    const expected = role === 'manager' ? check.managers : check.workers
    if (expected === undefined) continue
    const id = `${base}:${role}s`
    if (!active) out.pending(id, 'swarm.count.expect', { role, expected })
    else out.expect(id, count(role) === expected, 'swarm.count.ok', 'swarm.count.fail', { role, expected, found: count(role) })
  }

  for (const want of check.nodes ?? []) {
    // One line per expected property (or one for presence alone), with the same ids whether
    // or not the node has joined yet: the checklist keeps its shape.
    const id = `${base}:node:${want.hostname}`
    const params: MessageParams = { hostname: want.hostname }
    const lines: { id: string; expect: () => void; evaluate: (node: NonNullable<typeof nodes>[number]) => void }[] = []
    if (want.role) {
      const role = want.role
      lines.push({
        id: `${id}:role`,
        expect: () => out.pending(`${id}:role`, 'swarm.node.roleExpect', { ...params, expected: role }),
        evaluate: (node) => out.expect(`${id}:role`, node.role === role, 'swarm.node.roleOk', 'swarm.node.role', { ...params, expected: role, found: node.role }),
      })
    }
    if (want.availability) {
      const availability = want.availability
      lines.push({
        id: `${id}:availability`,
        expect: () => out.pending(`${id}:availability`, 'swarm.node.availabilityExpect', { ...params, expected: availability }),
        evaluate: (node) => out.expect(`${id}:availability`, node.availability === availability, 'swarm.node.availabilityOk', 'swarm.node.availability', { ...params, expected: availability, found: node.availability }),
      })
    }
    for (const [key, value] of Object.entries(want.labels ?? {})) {
      lines.push({
        id: `${id}:label:${key}`,
        expect: () => out.pending(`${id}:label:${key}`, 'swarm.node.labelExpect', { ...params, key, expected: value }),
        evaluate: (node) => out.expect(`${id}:label:${key}`, node.labels[key] === value, 'swarm.node.labelOk', 'swarm.node.label', { ...params, key, expected: value, found: node.labels[key] ?? ref('value.none') }),
      })
    }
    if (lines.length === 0) {
      lines.push({ id, expect: () => out.pending(id, 'swarm.node.expect', params), evaluate: (node) => out.add(id, true, 'swarm.node.ok', { ...params, role: node.role }) })
    }
    const node = active && nodes ? nodes.find((n) => n.hostname === want.hostname) : undefined
    if (node) {
      for (const line of lines) line.evaluate(node)
      continue
    }
    // Not evaluable: the first line says why (no swarm yet, not a manager, node missing), the rest wait.
    const [first, ...rest] = lines
    if (!active) first!.expect()
    else if (!nodes) out.add(first!.id, false, 'swarm.notManager', { node: facts.node })
    else out.add(first!.id, false, 'swarm.node.missing', { ...params, found: listOrNone(nodes.map((n) => n.hostname)) })
    for (const line of rest) line.expect()
  }
}

function findService(name: string, facts: NodeFacts): ServiceFacts | null {
  return facts.services?.find((s) => s.name === name) ?? null
}

export function evaluateService(check: ServiceCheck, facts: NodeFacts, out: AssertionList): void {
  const base = assertionId('service', check.name)
  const blocker = swarmBlocker(facts)
  const svc = blocker ? null : findService(check.name, facts)
  if (check.exists === false) {
    out.expect(`${base}:absent`, !svc, 'service.absent.ok', 'service.absent.present', { name: check.name })
    return
  }
  if (blocker) out.add(`${base}:exists`, false, blocker.key, blocker.params)
  else out.add(`${base}:exists`, !!svc, svc ? 'service.exists.ok' : 'service.exists.missing', missingParams(check.name, facts.services?.map((s) => s.name) ?? null))
  const subj = subject.service(check.name)
  const line = (id: string, propKey: Parameters<typeof ref>[0], expected: string | number, found: string | number | null | undefined, equal: boolean) =>
    propLine(out, `${base}:${id}`, ref(propKey), subj, expected, svc ? { value: found ?? ref('value.none'), ok: equal } : null)

  if (check.image !== undefined) line('image', 'prop.image', check.image, svc?.image, !!svc && imageMatches(check.image, svc.image))
  if (check.mode !== undefined) line('mode', 'prop.mode', check.mode, svc?.mode, svc?.mode === check.mode)
  if (check.replicas !== undefined) line('replicas', 'prop.replicas', check.replicas, svc?.replicas, svc?.replicas === check.replicas)
  if (check.runningTasks !== undefined) {
    const params = { name: check.name, expected: check.runningTasks, found: svc?.runningTasks ?? 0 }
    if (!svc) out.pending(`${base}:running-tasks`, 'service.tasks.expect', params)
    else out.expect(`${base}:running-tasks`, svc.runningTasks === check.runningTasks, 'service.tasks.ok', 'service.tasks.fail', params)
  }
  for (const p of check.ports ?? []) {
    const id = `${base}:port:${p.target}`
    const params = { name: check.name, target: p.target, published: p.published !== undefined ? String(p.published) : 'any' }
    if (!svc) {
      out.pending(id, 'service.port.expect', params)
      continue
    }
    const found = svc.ports.filter((x) => x.target === p.target)
    const ok = found.some((x) => p.published === undefined || x.published === p.published)
    out.add(id, ok, ok ? 'service.port.ok' : found.length ? 'service.port.otherPublished' : 'service.port.missing', {
      ...params,
      found: listOrNone(found.map((x) => String(x.published ?? '—'))),
    })
  }
  for (const [which, want] of [['update', check.updateConfig], ['rollback', check.rollbackConfig]] as const) {
    if (!want) continue
    const have = which === 'update' ? svc?.updateConfig : svc?.rollbackConfig
    const fields = [
      ['parallelism', want.parallelism, have?.parallelism],
      ['delaySeconds', want.delaySeconds, have?.delaySeconds],
      ['failureAction', 'failureAction' in want ? want.failureAction : undefined, have?.failureAction],
      ['order', want.order, have?.order],
    ] as const
    for (const [field, expected, found] of fields) {
      if (expected === undefined) continue
      line(`${which}:${field}`, `prop.${which}.${field}`, expected, found ?? null, found === expected)
    }
  }
  const norm = (s: string) => s.replace(/\s+/g, '')
  const listLine = (id: string, wanted: string[] | undefined, have: string[] | undefined, keys: { ok: 'service.constraint.ok'; missing: 'service.constraint.missing'; expect: 'service.constraint.expect' } | { ok: 'service.preference.ok'; missing: 'service.preference.missing'; expect: 'service.preference.expect' } | { ok: 'service.secret.ok'; missing: 'service.secret.missing'; expect: 'service.secret.expect' } | { ok: 'service.config.ok'; missing: 'service.config.missing'; expect: 'service.config.expect' } | { ok: 'service.network.ok'; missing: 'service.network.missing'; expect: 'service.network.expect' }, matches: (want: string, h: string) => boolean) => {
    for (const want of wanted ?? []) {
      const params = { name: check.name, value: want }
      if (!svc) out.pending(`${base}:${id}:${want}`, keys.expect, params)
      else {
        const ok = (have ?? []).some((h) => matches(want, h))
        out.add(`${base}:${id}:${want}`, ok, ok ? keys.ok : keys.missing, { ...params, found: listOrNone(have ?? []) })
      }
    }
  }
  listLine('constraint', check.constraints, svc?.constraints, { ok: 'service.constraint.ok', missing: 'service.constraint.missing', expect: 'service.constraint.expect' }, (w, h) => norm(w) === norm(h))
  listLine('preference', check.preferences, svc?.preferences, { ok: 'service.preference.ok', missing: 'service.preference.missing', expect: 'service.preference.expect' }, (w, h) => norm(w) === norm(h) || norm(`spread=${w}`) === norm(h))
  listLine('secret', check.secrets, svc?.secrets, { ok: 'service.secret.ok', missing: 'service.secret.missing', expect: 'service.secret.expect' }, (w, h) => w === h || h === `${svc?.labels['com.docker.stack.namespace']}_${w}`)
  listLine('config', check.configs, svc?.configs, { ok: 'service.config.ok', missing: 'service.config.missing', expect: 'service.config.expect' }, (w, h) => w === h || h === `${svc?.labels['com.docker.stack.namespace']}_${w}`)
  const networkNames = svc ? svc.networkIds.map((id) => facts.networkIdToName?.get(id) ?? id) : undefined
  listLine('network', check.networks, networkNames, { ok: 'service.network.ok', missing: 'service.network.missing', expect: 'service.network.expect' }, (w, h) => w === h || h === `${svc?.labels['com.docker.stack.namespace']}_${w}`)
  if (check.env) mapLines(out, base, 'env', subj, check.env, svc ? svc.env : null)
  if (check.stack !== undefined) {
    const found = svc?.labels['com.docker.stack.namespace']
    line('stack', 'prop.stack', check.stack, found, found === check.stack)
  }
  if (check.updated !== undefined) {
    const params = { name: check.name, state: svc?.updateState ?? ref('value.none'), expected: String(check.updated) }
    if (!svc) out.pending(`${base}:updated`, 'service.updated.expect', params)
    else out.expect(`${base}:updated`, (svc.updateState !== null) === check.updated, 'service.updated.ok', 'service.updated.fail', params)
  }
  if (check.rolledBack !== undefined) {
    const params = { name: check.name, state: svc?.updateState ?? ref('value.none'), expected: String(check.rolledBack) }
    const rolledBack = !!svc?.updateState?.startsWith('rollback')
    if (!svc) out.pending(`${base}:rolled-back`, 'service.rolledBack.expect', params)
    else out.expect(`${base}:rolled-back`, rolledBack === check.rolledBack, 'service.rolledBack.ok', 'service.rolledBack.fail', params)
  }
}

export function evaluateSecret(check: SecretCheck, facts: NodeFacts, out: AssertionList): void {
  const base = assertionId(check.kind, check.name)
  const blocker = swarmBlocker(facts)
  const names = check.kind === 'secret' ? facts.secrets : facts.configs
  const present = !blocker && !!names?.includes(check.name)
  const params = { kind: check.kind, name: check.name }
  if (check.exists === false) {
    out.expect(`${base}:absent`, !present, 'secret.absent.ok', 'secret.absent.present', params)
    return
  }
  if (blocker) out.add(`${base}:exists`, false, blocker.key, blocker.params)
  else out.add(`${base}:exists`, present, present ? 'secret.exists.ok' : 'secret.exists.missing', { ...params, ...missingParams(check.name, names), kind: check.kind })
}

export function evaluateStack(check: StackCheck, facts: NodeFacts, out: AssertionList): void {
  const base = assertionId('stack', check.name)
  const blocker = swarmBlocker(facts)
  const services = (facts.services ?? []).filter((s) => s.labels['com.docker.stack.namespace'] === check.name)
  if (blocker) out.add(`${base}:exists`, false, blocker.key, blocker.params)
  else out.expect(`${base}:exists`, services.length > 0, 'stack.exists.ok', 'stack.exists.missing', { name: check.name, count: services.length })
  const short = services.map((s) => (s.name.startsWith(`${check.name}_`) ? s.name.slice(check.name.length + 1) : s.name))
  for (const service of check.services ?? []) {
    const id = `${base}:service:${service}`
    const params = { stack: check.name, service, found: listOrNone(short) }
    if (services.length === 0) out.pending(id, 'stack.service.expect', params)
    else out.expect(id, short.includes(service) || services.some((s) => s.name === service), 'stack.service.ok', 'stack.service.missing', params)
  }
}
