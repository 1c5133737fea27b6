import { type AssertionList, assertionId, excerpt, isRootUser, listOrNone, ref } from '../assertions'
import type { NodeFacts } from '../facts'
import type { Check } from '../../content/check-kinds'
import { dockerfileStages } from '../probes'
import { mapLines, mb, missingParams, propLine, subject } from './common'

// Networks, volumes and images: objects read by one inspect each.

type NetworkCheck = Extract<Check, { kind: 'network' }>
type VolumeCheck = Extract<Check, { kind: 'volume' }>
type ImageCheck = Extract<Check, { kind: 'image' }>

export function evaluateNetwork(check: NetworkCheck, facts: NodeFacts, out: AssertionList): void {
  const base = assertionId('network', check.name)
  const net = facts.networks.get(check.name) ?? null
  if (check.exists === false) {
    out.expect(`${base}:absent`, !net, 'network.absent.ok', 'network.absent.present', { name: check.name })
    return
  }
  out.add(`${base}:exists`, !!net, net ? 'network.exists.ok' : 'network.exists.missing', {
    ...missingParams(check.name, facts.otherNames.networks),
    driver: net?.driver ?? '',
  })
  const subj = subject.network(check.name)

  if (check.driver !== undefined) {
    propLine(out, `${base}:driver`, ref('prop.driver'), subj, check.driver, net && { value: net.driver, ok: net.driver === check.driver })
  }
  if (check.subnet !== undefined) {
    const subnets = net?.subnets.map((s) => s.subnet).filter(Boolean) ?? []
    propLine(out, `${base}:subnet`, ref('prop.subnet'), subj, check.subnet, net && { value: listOrNone(subnets), ok: subnets.includes(check.subnet) })
  }
  if (check.gateway !== undefined) {
    const gateways = net?.subnets.map((s) => s.gateway).filter(Boolean) ?? []
    propLine(out, `${base}:gateway`, ref('prop.gateway'), subj, check.gateway, net && { value: listOrNone(gateways), ok: gateways.includes(check.gateway) })
  }
  if (check.scope !== undefined) {
    propLine(out, `${base}:scope`, ref('prop.scope'), subj, check.scope, net && { value: net.scope, ok: net.scope === check.scope })
  }
  if (check.internal !== undefined) {
    const params = { name: check.name, expected: String(check.internal) }
    if (!net) out.pending(`${base}:internal`, 'network.internal.expect', params)
    else out.expect(`${base}:internal`, net.internal === check.internal, 'network.internal.ok', 'network.internal.fail', params)
  }
  if (check.attachable !== undefined) {
    const params = { name: check.name, expected: String(check.attachable) }
    if (!net) out.pending(`${base}:attachable`, 'network.attachable.expect', params)
    else out.expect(`${base}:attachable`, net.attachable === check.attachable, 'network.attachable.ok', 'network.attachable.fail', params)
  }

  // Membership is read on the container (its NetworkSettings), not on the network: the
  // network's endpoint list leaves out stopped containers, which are still attached.
  const attachedTo = (container: string) => {
    const c = facts.containers.get(container)
    if (!c) return null
    const endpoint = c.networks.find((n) => n.name === check.name)
    return { container: c, attached: !!endpoint && (!net || !endpoint.id || endpoint.id === net.id) }
  }
  for (const member of check.members ?? []) {
    const id = `${base}:member:${member}`
    const params = { network: check.name, container: member }
    if (!net) {
      out.pending(id, 'network.member.expect', params)
      continue
    }
    const found = attachedTo(member)
    if (!found) out.add(id, false, 'network.member.noContainer', params)
    else if (found.attached) out.add(id, true, 'network.member.ok', params)
    else out.add(id, false, 'network.member.missing', { ...params, found: listOrNone(found.container.networks.map((n) => n.name)) })
  }
  for (const member of check.notMembers ?? []) {
    const id = `${base}:not-member:${member}`
    const params = { network: check.name, container: member }
    const found = attachedTo(member)
    out.expect(id, !found?.attached, 'network.notMember.ok', 'network.notMember.attached', params)
  }
}

export function evaluateVolume(check: VolumeCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const base = assertionId('volume', check.name)
  const vol = facts.volumes.get(check.name) ?? null
  if (check.exists === false) {
    out.expect(`${base}:absent`, !vol, 'volume.absent.ok', 'volume.absent.present', { name: check.name })
    return
  }
  out.add(`${base}:exists`, !!vol, vol ? 'volume.exists.ok' : 'volume.exists.missing', missingParams(check.name, facts.otherNames.volumes))
  const subj = subject.volume(check.name)
  if (check.driver !== undefined) {
    propLine(out, `${base}:driver`, ref('prop.driver'), subj, check.driver, vol && { value: vol.driver, ok: vol.driver === check.driver })
  }
  for (const container of check.mountedIn ?? []) {
    const id = `${base}:mounted-in:${container}`
    const params = { volume: check.name, container }
    if (!vol) {
      out.pending(id, 'volume.mountedIn.expect', params)
      continue
    }
    const c = facts.containers.get(container)
    const mount = c?.mounts.find((m) => m.type === 'volume' && m.name === check.name)
    if (!c) out.add(id, false, 'volume.mountedIn.noContainer', params)
    else if (mount) out.add(id, true, 'volume.mountedIn.ok', { ...params, target: mount.target })
    else out.add(id, false, 'volume.mountedIn.missing', params)
  }
  if (check.file) {
    const id = `${base}:file:${check.file.path}`
    const params = { volume: check.name, path: check.file.path, expected: check.file.contains ?? '' }
    const probe = facts.probes.get(`${index}:volume-file`)
    if (!vol || !probe || probe.kind !== 'file') out.pending(id, 'volume.file.expect', params)
    else if (probe.outcome === 'read') {
      if (check.file.contains === undefined) out.add(id, true, 'volume.file.ok', params)
      else if (probe.content.includes(check.file.contains)) out.add(id, true, 'volume.file.okContains', params)
      else out.add(id, false, 'volume.file.content', { ...params, found: excerpt(probe.content) || ref('value.empty') })
    } else if (probe.outcome === 'too-large') out.add(id, false, 'common.fileTooLarge', { path: check.file.path, bytes: probe.bytes })
    else out.add(id, false, 'volume.file.missing', params)
  }
  if (check.survivedReplacement) {
    const { container, path } = check.survivedReplacement
    const id = `${base}:survived:${container}`
    const params = { volume: check.name, container, path }
    const probe = facts.probes.get(`${index}:survived`)
    const c = facts.containers.get(container)
    if (!vol) out.pending(id, 'volume.survived.expect', params)
    else if (!c) out.add(id, false, 'volume.survived.noContainer', params)
    else if (!c.mounts.some((m) => m.type === 'volume' && m.name === check.name)) out.add(id, false, 'volume.survived.notMounted', params)
    else if (!probe || probe.kind !== 'file' || probe.outcome !== 'read') out.add(id, false, 'volume.survived.noFile', params)
    else {
      // Written before this container existed, and still there: it outlived the one before.
      const created = Date.parse(c.created) / 1000
      out.expect(id, probe.mtime < created, 'volume.survived.ok', 'volume.survived.notReplaced', params)
    }
  }
}

export function evaluateImage(check: ImageCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const base = assertionId('image', check.name)
  const img = facts.images.get(check.name) ?? null
  if (check.exists === false) {
    out.expect(`${base}:absent`, !img, 'image.absent.ok', 'image.absent.present', { name: check.name })
    return
  }
  out.add(`${base}:exists`, !!img, img ? 'image.exists.ok' : 'image.exists.missing', {
    ...missingParams(check.name, facts.otherNames.images),
    size: img ? mb(img.sizeBytes) : '',
  })
  const subj = subject.image(check.name)
  if (check.user !== undefined) {
    propLine(out, `${base}:user`, ref('prop.user'), subj, check.user, img && { value: img.user || 'root', ok: img.user === check.user || (!check.user.includes(':') && img.user.split(':')[0] === check.user) })
  }
  if (check.nonRoot !== undefined) {
    const params = { name: check.name, user: img?.user || 'root', expected: String(check.nonRoot) }
    if (!img) out.pending(`${base}:non-root`, 'image.nonRoot.expect', params)
    else out.expect(`${base}:non-root`, isRootUser(img.user) !== check.nonRoot, 'image.nonRoot.ok', 'image.nonRoot.fail', params)
  }
  if (check.healthcheck !== undefined) {
    const params = { name: check.name, expected: String(check.healthcheck), test: img ? excerpt(img.healthcheck.slice(1).join(' '), 100) : '' }
    if (!img) out.pending(`${base}:healthcheck`, 'image.healthcheck.expect', params)
    else out.expect(`${base}:healthcheck`, img.hasHealthcheck === check.healthcheck, 'image.healthcheck.ok', 'image.healthcheck.fail', params)
  }
  if (check.maxSizeMB !== undefined) {
    const params = { name: check.name, max: check.maxSizeMB, found: img ? mb(img.sizeBytes) : '' }
    if (!img) out.pending(`${base}:size`, 'image.size.expect', params)
    else out.expect(`${base}:size`, img.sizeBytes <= check.maxSizeMB * 1048576, 'image.size.ok', 'image.size.tooBig', params)
  }
  for (const port of check.exposedPorts ?? []) {
    const params = { name: check.name, port, found: img ? listOrNone(img.exposedPorts.map((p) => `${p.port}/${p.protocol}`)) : '' }
    if (!img) out.pending(`${base}:expose:${port}`, 'image.expose.expect', params)
    else out.expect(`${base}:expose:${port}`, img.exposedPorts.some((p) => p.port === port), 'image.expose.ok', 'image.expose.missing', params)
  }
  if (check.workdir !== undefined) {
    propLine(out, `${base}:workdir`, ref('prop.workdir'), subj, check.workdir, img && { value: img.workdir || '/', ok: img.workdir.replace(/\/$/, '') === check.workdir.replace(/\/$/, '') })
  }
  if (check.env) mapLines(out, base, 'env', subj, check.env, img ? img.env : null)
  if (check.labels) mapLines(out, base, 'label', subj, check.labels, img ? img.labels : null)

  if (check.dockerfile) {
    const { path, multiStage, minStages } = check.dockerfile
    const probe = facts.probes.get(`${index}:dockerfile`)
    const content = probe?.kind === 'file' && probe.outcome === 'read' ? probe.content : null
    const stages = content === null ? null : dockerfileStages(content)
    const read = (id: string) => {
      if (content !== null) return true
      out.add(id, false, 'image.dockerfile.missing', { path })
      return false
    }
    if (multiStage !== undefined) {
      const id = `${base}:dockerfile:multi-stage`
      if (read(id)) {
        const params = { path, stages: stages!.length, expected: String(multiStage) }
        out.expect(id, stages!.length > 1 === multiStage, 'image.multiStage.ok', 'image.multiStage.fail', params)
      }
    }
    if (minStages !== undefined) {
      const id = `${base}:dockerfile:stages`
      if (read(id)) out.expect(id, stages!.length >= minStages, 'image.minStages.ok', 'image.minStages.fail', { path, stages: stages!.length, expected: minStages })
    }
    if (multiStage === undefined && minStages === undefined) {
      const id = `${base}:dockerfile`
      if (read(id)) out.add(id, true, 'image.dockerfile.ok', { path, stages: stages!.length })
    }
  }
}
