import { AssertionList, assertionId, imageMatches, isRootUser, listOrNone, ref } from '../assertions'
import type { ContainerFacts, NodeFacts } from '../facts'
import type { Check } from '../../content/check-kinds'
import type { MessageKey, MessageParams } from '../messages'
import { mapLines, mb, missingParams, subject } from './common'

type ContainerCheck = Extract<Check, { kind: 'container' }>

/** The label query (Compose service, optionally its project) a `service:` selector reads. */
export function serviceQuery(service: string, project?: string): string {
  return [`com.docker.compose.service=${service}`, ...(project ? [`com.docker.compose.project=${project}`] : [])].join('\n')
}

/** The containers a check is about: by name, or every container of a Compose service. */
export function selectContainers(check: ContainerCheck, facts: NodeFacts): ContainerFacts[] {
  if (check.name) {
    const c = facts.containers.get(check.name)
    return c ? [c] : []
  }
  const names = facts.labelQueries.get(serviceQuery(check.service!, check.project)) ?? []
  return names
    .map((n) => facts.containers.get(n))
    .filter((c): c is ContainerFacts => !!c)
    .sort((a, b) => a.name.localeCompare(b.name))
}

type Outcome = { ok: boolean; key: MessageKey; params: MessageParams }

interface Property {
  id: string
  /** The message when no container exists yet. */
  expect: { key: MessageKey; params: MessageParams }
  evaluate: (c: ContainerFacts) => Outcome
}

const ok = (key: MessageKey, params: MessageParams): Outcome => ({ ok: true, key, params })
const fail = (key: MessageKey, params: MessageParams): Outcome => ({ ok: false, key, params })

function within(actual: number, expected: number, relative = 0.01): boolean {
  return Math.abs(actual - expected) <= Math.max(Math.abs(expected) * relative, 1e-6)
}

export function evaluateContainer(check: ContainerCheck, facts: NodeFacts, out: AssertionList): void {
  const base = check.name ? assertionId('container', check.name) : assertionId('container', 'service', check.service!)
  const matched = selectContainers(check, facts)
  const display = check.name ?? check.service!

  if (check.exists === false) {
    const present = matched[0]
    if (check.name) out.expect(`${base}:absent`, !present, 'container.absent.ok', 'container.absent.present', { name: display, status: present?.status ?? '' })
    else out.expect(`${base}:absent`, !present, 'container.serviceAbsent.ok', 'container.serviceAbsent.present', { service: display, count: matched.length })
    return
  }

  if (check.name) {
    out.add(`${base}:exists`, matched.length > 0, matched.length ? 'container.exists.ok' : 'container.exists.missing', {
      ...missingParams(check.name, facts.otherNames.containers),
      status: matched[0]?.status ?? '',
    })
  } else {
    const params = { service: check.service!, project: check.project ?? '', count: matched.length, names: matched.map((c) => c.name).join(', ') }
    out.add(`${base}:exists`, matched.length > 0, matched.length ? 'container.service.ok' : check.project ? 'container.service.missingInProject' : 'container.service.missing', params)
  }

  if (check.count !== undefined) {
    const params = { subject: display, count: matched.length, expected: check.count }
    out.expect(`${base}:count`, matched.length >= check.count, 'container.count.ok', 'container.count.fail', params)
  }

  for (const p of properties(check, facts)) {
    if (matched.length === 0) {
      out.pending(`${base}:${p.id}`, p.expect.key, p.expect.params)
      continue
    }
    // A scaled service passes when every one of its containers does; the first failure is shown.
    const outcomes = matched.map((c) => p.evaluate(c))
    const shown = outcomes.find((o) => !o.ok) ?? outcomes[0]!
    out.add(`${base}:${p.id}`, shown.ok, shown.key, shown.params)
  }
}

function properties(check: ContainerCheck, facts: NodeFacts): Property[] {
  const display = check.name ?? check.service!
  const subj = check.name ? subject.container(display) : subject.composeService(display)
  const props: Property[] = []
  const add = (p: Property) => props.push(p)

  if (check.running !== undefined) {
    const want = check.running
    add({
      id: want ? 'running' : 'stopped',
      expect: { key: want ? 'container.running.expect' : 'container.stopped.expect', params: { name: display } },
      evaluate: (c) =>
        want
          ? c.running
            ? ok('container.running.ok', { name: c.name })
            : fail('container.running.stopped', { name: c.name, status: c.status, exitCode: c.exitCode })
          : c.running
            ? fail('container.stopped.running', { name: c.name })
            : ok('container.stopped.ok', { name: c.name, status: c.status }),
    })
  }

  if (check.healthy !== undefined) {
    const want = check.healthy
    add({
      id: 'healthy',
      expect: { key: want ? 'container.healthy.expect' : 'container.notHealthy.expect', params: { name: display } },
      evaluate: (c) => {
        if (!want) return c.health === 'healthy' ? fail('container.notHealthy.fail', { name: c.name }) : ok('container.notHealthy.ok', { name: c.name, status: c.health ?? ref('value.none') })
        if (!c.hasHealthcheck) return fail('container.healthy.noHealthcheck', { name: c.name })
        if (!c.running) return fail('container.healthy.notRunning', { name: c.name, status: c.status })
        return c.health === 'healthy' ? ok('container.healthy.ok', { name: c.name }) : fail('container.healthy.status', { name: c.name, status: c.health ?? 'none' })
      },
    })
  }

  if (check.image !== undefined) {
    const expected = check.image
    add({
      id: 'image',
      expect: { key: 'container.image.expect', params: { name: display, expected } },
      evaluate: (c) =>
        imageMatches(expected, c.image)
          ? ok('container.image.ok', { name: c.name, found: c.image })
          : fail('container.image.differs', { name: c.name, found: c.image, expected }),
    })
  }

  for (const p of check.ports ?? []) {
    const protocol = p.protocol ?? 'tcp'
    const host = p.host
    const params = { port: p.container, protocol, host: host !== undefined ? String(host) : 'any' }
    add({
      id: `port:${p.container}/${protocol}`,
      expect: { key: 'container.port.expect', params: { name: display, ...params } },
      evaluate: (c) => {
        const published = c.ports.filter((x) => x.container === p.container && x.protocol === protocol && x.host !== null)
        if (published.length === 0) {
          const exposed = c.ports.some((x) => x.container === p.container && x.protocol === protocol)
          return fail(exposed ? 'container.port.exposedOnly' : 'container.port.missing', { name: c.name, ...params })
        }
        if (host === undefined || published.some((x) => x.host === host)) {
          return ok('container.port.ok', { name: c.name, ...params, found: published.map((x) => x.host || '?').join(', ') })
        }
        return fail('container.port.otherHost', { name: c.name, ...params, found: published.map((x) => x.host || '?').join(', ') })
      },
    })
  }

  const prop = (id: string, propKey: MessageKey, expected: string | number | ReturnType<typeof ref>, read: (c: ContainerFacts) => { value: string | number | ReturnType<typeof ref>; ok: boolean }) =>
    add({
      id,
      expect: { key: 'common.prop.expect', params: { prop: ref(propKey), subject: subj, expected } },
      evaluate: (c) => {
        const found = read(c)
        const params = { prop: ref(propKey), subject: subject.container(c.name), expected, found: found.value }
        return found.ok ? ok('common.prop.ok', params) : fail('common.prop.differs', params)
      },
    })

  if (check.restartPolicy !== undefined) {
    const want = check.restartPolicy
    prop('restart', 'prop.restartPolicy', want, (c) => ({ value: c.restartPolicy, ok: c.restartPolicy === want }))
  }
  if (check.memoryMB !== undefined) {
    const want = check.memoryMB
    prop('memory', 'prop.memory', ref('value.mb', { n: want }), (c) => ({
      value: c.memoryBytes ? mb(c.memoryBytes) : ref('value.noLimit'),
      ok: c.memoryBytes > 0 && within(c.memoryBytes / 1048576, want),
    }))
  }
  if (check.memoryReservationMB !== undefined) {
    const want = check.memoryReservationMB
    prop('memory-reservation', 'prop.memoryReservation', ref('value.mb', { n: want }), (c) => ({
      value: c.memoryReservationBytes ? mb(c.memoryReservationBytes) : ref('value.noLimit'),
      ok: c.memoryReservationBytes > 0 && within(c.memoryReservationBytes / 1048576, want),
    }))
  }
  if (check.cpus !== undefined) {
    const want = check.cpus
    prop('cpus', 'prop.cpus', want, (c) => ({ value: c.cpus || ref('value.noLimit'), ok: c.cpus > 0 && within(c.cpus, want) }))
  }
  if (check.pidsLimit !== undefined) {
    const want = check.pidsLimit
    prop('pids', 'prop.pidsLimit', want, (c) => ({ value: c.pidsLimit ?? ref('value.noLimit'), ok: c.pidsLimit === want }))
  }
  if (check.user !== undefined) {
    const want = check.user
    prop('user', 'prop.user', want, (c) => ({
      value: c.user || ref('value.imageDefaultUser'),
      ok: c.user === want || (!want.includes(':') && c.user.split(':')[0] === want),
    }))
  }
  if (check.nonRoot !== undefined) {
    const want = check.nonRoot
    add({
      id: 'non-root',
      expect: { key: 'container.nonRoot.expect', params: { name: display, expected: String(want) } },
      evaluate: (c) => {
        const root = isRootUser(c.user)
        const params = { name: c.name, user: c.user || 'root', expected: String(want) }
        return root !== want ? ok('container.nonRoot.ok', params) : fail('container.nonRoot.fail', params)
      },
    })
  }
  for (const cap of check.capAdd ?? []) {
    const want = cap.toUpperCase().replace(/^CAP_/, '')
    add({
      id: `cap-add:${want}`,
      expect: { key: 'container.capAdd.expect', params: { name: display, cap: want } },
      evaluate: (c) =>
        c.capAdd.includes(want) || c.capAdd.includes('ALL')
          ? ok('container.capAdd.ok', { name: c.name, cap: want })
          : fail('container.capAdd.missing', { name: c.name, cap: want, found: listOrNone(c.capAdd) }),
    })
  }
  for (const cap of check.capDrop ?? []) {
    const want = cap.toUpperCase().replace(/^CAP_/, '')
    add({
      id: `cap-drop:${want}`,
      expect: { key: 'container.capDrop.expect', params: { name: display, cap: want } },
      evaluate: (c) =>
        c.capDrop.includes(want) || c.capDrop.includes('ALL')
          ? ok('container.capDrop.ok', { name: c.name, cap: want })
          : fail('container.capDrop.missing', { name: c.name, cap: want, found: listOrNone(c.capDrop) }),
    })
  }
  if (check.readOnlyRootfs !== undefined) {
    const want = check.readOnlyRootfs
    add({
      id: 'read-only',
      expect: { key: 'container.readOnly.expect', params: { name: display, expected: String(want) } },
      evaluate: (c) =>
        c.readOnlyRootfs === want
          ? ok('container.readOnly.ok', { name: c.name, expected: String(want) })
          : fail('container.readOnly.fail', { name: c.name, expected: String(want) }),
    })
  }
  if (check.noNewPrivileges !== undefined) {
    const want = check.noNewPrivileges
    add({
      id: 'no-new-privileges',
      expect: { key: 'container.noNewPrivileges.expect', params: { name: display, expected: String(want) } },
      evaluate: (c) =>
        c.noNewPrivileges === want
          ? ok('container.noNewPrivileges.ok', { name: c.name, expected: String(want) })
          : fail('container.noNewPrivileges.fail', { name: c.name, expected: String(want) }),
    })
  }
  for (const path of check.tmpfs ?? []) {
    add({
      id: `tmpfs:${path}`,
      expect: { key: 'container.tmpfs.expect', params: { name: display, path } },
      evaluate: (c) =>
        c.tmpfs.includes(path) ? ok('container.tmpfs.ok', { name: c.name, path }) : fail('container.tmpfs.missing', { name: c.name, path }),
    })
  }
  for (const network of check.networks ?? []) {
    add({
      id: `network:${network}`,
      expect: { key: 'container.network.expect', params: { name: display, network } },
      evaluate: (c) =>
        c.networks.some((n) => n.name === network)
          ? ok('container.network.ok', { name: c.name, network })
          : fail('container.network.missing', { name: c.name, network, found: listOrNone(c.networks.map((n) => n.name)) }),
    })
  }
  for (const network of check.notNetworks ?? []) {
    add({
      id: `not-network:${network}`,
      expect: { key: 'container.notNetwork.expect', params: { name: display, network } },
      evaluate: (c) =>
        c.networks.some((n) => n.name === network)
          ? fail('container.notNetwork.attached', { name: c.name, network })
          : ok('container.notNetwork.ok', { name: c.name, network }),
    })
  }
  if (check.isolated !== undefined) {
    const want = check.isolated
    add({
      id: want ? 'isolated' : 'not-isolated',
      expect: { key: want ? 'container.isolated.expect' : 'container.notIsolated.expect', params: { name: display } },
      evaluate: (c) => {
        const names = c.networks.map((n) => n.name)
        // No network of its own: it shares another container's (--network container:x).
        if (names.length === 0) return fail('container.isolated.shared', { name: c.name })
        const ways = exitsOf(names, facts)
        const params = { name: c.name, networks: names.join(', '), open: ways.join(', ') }
        if (want) return ways.length === 0 ? ok('container.isolated.ok', params) : fail('container.isolated.open', params)
        return ways.length > 0 ? ok('container.notIsolated.ok', params) : fail('container.notIsolated.closed', params)
      },
    })
  }
  for (const m of check.mounts ?? []) {
    const expectedSource = m.volume ? ref('value.volume', { name: m.volume }) : m.source ? ref('value.bind', { path: m.source }) : ref('value.anything')
    const mode = m.readOnly === undefined ? 'any' : m.readOnly ? 'ro' : 'rw'
    add({
      id: `mount:${m.target}`,
      expect: { key: 'container.mount.expect', params: { name: display, target: m.target, source: expectedSource, mode } },
      evaluate: (c) => {
        const found = c.mounts.find((x) => x.target === m.target)
        if (!found) return fail('container.mount.missing', { name: c.name, target: m.target, source: expectedSource })
        const foundSource = found.type === 'volume' ? ref('value.volume', { name: found.name }) : found.type === 'bind' ? ref('value.bind', { path: found.source }) : ref('value.mountType', { type: found.type })
        const sourceOk = m.volume
          ? found.type === 'volume' && found.name === m.volume
          : m.source
            ? found.type === 'bind' && bindSourceMatches(m.source, found.source)
            : true
        if (!sourceOk) return fail('container.mount.otherSource', { name: c.name, target: m.target, source: expectedSource, found: foundSource })
        if (m.readOnly !== undefined && found.readOnly !== m.readOnly) return fail('container.mount.mode', { name: c.name, target: m.target, mode })
        return ok('container.mount.ok', { name: c.name, target: m.target, source: foundSource, mode: found.readOnly ? 'ro' : 'rw' })
      },
    })
  }
  if (check.logDriver !== undefined) {
    const want = check.logDriver
    prop('log-driver', 'prop.logDriver', want, (c) => ({ value: c.logDriver || ref('value.none'), ok: c.logDriver === want }))
  }
  for (const [option, want] of Object.entries(check.logOptions ?? {})) {
    add({
      id: `log-option:${option}`,
      expect: { key: 'container.logOption.expect', params: { name: display, option, expected: want } },
      evaluate: (c) => {
        const value = c.logOptions[option]
        return value === want
          ? ok('container.logOption.ok', { name: c.name, option, expected: want })
          : fail('container.logOption.differs', { name: c.name, option, expected: want, found: value ?? ref('value.none') })
      },
    })
  }
  return [...props, ...mapProps(check, subj)]
}

/** Env and labels reuse the generic key/value lines; wrapped as properties for scaled services. */
function mapProps(check: ContainerCheck, subj: ReturnType<typeof subject.container>): Property[] {
  const props: Property[] = []
  for (const [what, expected] of [['env', check.env], ['label', check.labels]] as const) {
    for (const [key, match] of Object.entries(expected ?? {})) {
      props.push({
        id: `${what}:${key}`,
        expect: { key: `common.${what}.expect`, params: {} },
        evaluate: (c) => {
          const list = new AssertionList(0)
          mapLines(list, 'x', what, subject.container(c.name), { [key]: match }, what === 'env' ? c.env : c.labels)
          const a = list.items[0]!
          return { ok: a.passed, key: a.key, params: a.params }
        },
      })
      // The pending message needs the same params as mapLines builds; compute them once here.
      const pending = new AssertionList(0)
      mapLines(pending, 'x', what, subj, { [key]: match }, null)
      props[props.length - 1]!.expect = { key: pending.items[0]!.key, params: pending.items[0]!.params }
    }
  }
  return props
}

/** "./html" in an exercise names the folder html of the working folder, wherever that is. */
function bindSourceMatches(expected: string, actual: string): boolean {
  if (expected.startsWith('/')) return actual === expected || actual === expected.replace(/\/$/, '')
  const tail = expected.replace(/^\.\//, '').replace(/\/$/, '')
  return actual === tail || actual.endsWith(`/${tail}`)
}

/**
 * The networks a container can leave by: host, and any network that is not internal. `none`
 * has no interface, and Docker drops what an internal network's containers send outside it
 * (the default route they still get on recent engines leads nowhere), so neither is a way out.
 */
export function exitsOf(networks: readonly string[], facts: NodeFacts): string[] {
  return networks.filter((name) => name !== 'none' && (name === 'host' || facts.networks.get(name)?.internal !== true))
}
