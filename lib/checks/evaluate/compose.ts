import { parse as parseYaml } from 'yaml'
import { type AssertionList, assertionId, listOrNone, ref } from '../assertions'
import type { ContainerFacts, NodeFacts } from '../facts'
import type { Check } from '../../content/check-kinds'
import { checkLimits } from '../limits'
import type { MessageRef } from '../messages'
import { mb } from './common'
import { composeFileDependsOn, parseComposeDependsOnLabel } from '../probes'

type ComposeCheck = Extract<Check, { kind: 'compose' }>

export function composeProjectQuery(project: string): string {
  return `com.docker.compose.project=${project}`
}

/** The project's containers grouped by Compose service. */
export function composeServices(project: string, facts: NodeFacts): Map<string, ContainerFacts[]> {
  const names = facts.labelQueries.get(composeProjectQuery(project)) ?? []
  const byService = new Map<string, ContainerFacts[]>()
  for (const name of names) {
    const c = facts.containers.get(name)
    const service = c?.compose?.service
    if (!c || !service) continue
    byService.set(service, [...(byService.get(service) ?? []), c])
  }
  return byService
}

/** The parsed Compose file(s) of the project: services merged in file order, as `docker compose` does. */
function composeFile(facts: NodeFacts, index: number): { services: Record<string, unknown> } | { error: string | MessageRef } | null {
  const probe = facts.probes.get(`${index}:compose-file`)
  if (!probe || probe.kind !== 'file') return null
  if (probe.outcome === 'too-large') return { error: ref('value.tooLarge', { limit: mb(checkLimits.composeFilesBytes) }) }
  if (probe.outcome !== 'read') return { error: probe.outcome }
  const services: Record<string, unknown> = {}
  try {
    // Several files (compose.yaml + an override) arrive joined by a document separator.
    for (const doc of probe.content.split(/^---QUAI-FILE---$/m)) {
      const parsed = parseYaml(doc) as { services?: Record<string, unknown> } | null
      for (const [name, def] of Object.entries(parsed?.services ?? {})) {
        services[name] = { ...((services[name] as object) ?? {}), ...((def as object) ?? {}) }
      }
    }
  } catch (error) {
    return { error: (error as Error).message }
  }
  return { services }
}

export function evaluateCompose(check: ComposeCheck, facts: NodeFacts, out: AssertionList, index: number): void {
  const project = check.project
  const base = assertionId('compose', project)
  const services = composeServices(project, facts)
  const all = [...services.values()].flat()
  const up = all.length > 0
  out.add(`${base}:project`, up, up ? 'compose.project.ok' : 'compose.project.missing', { project, count: all.length })
  const known = listOrNone([...services.keys()].sort())

  const perService = (list: readonly string[] | undefined, suffix: string, evaluate: (service: string, containers: ContainerFacts[], id: string) => void, expectKey: Parameters<AssertionList['pending']>[1]) => {
    for (const service of list ?? []) {
      const id = `${base}:${suffix}:${service}`
      if (!up) out.pending(id, expectKey, { project, service })
      else evaluate(service, services.get(service) ?? [], id)
    }
  }

  perService(check.services, 'service', (service, cs, id) => {
    if (cs.length) out.add(id, true, 'compose.service.ok', { project, service, count: cs.length })
    else out.add(id, false, 'compose.service.missing', { project, service, found: known })
  }, 'compose.service.expect')

  perService(check.running, 'running', (service, cs, id) => {
    if (!cs.length) return out.add(id, false, 'compose.service.missing', { project, service, found: known })
    const stopped = cs.find((c) => !c.running)
    if (stopped) out.add(id, false, 'compose.running.fail', { project, service, container: stopped.name, status: stopped.status })
    else out.add(id, true, 'compose.running.ok', { project, service, count: cs.length })
  }, 'compose.running.expect')

  perService(check.healthy, 'healthy', (service, cs, id) => {
    if (!cs.length) return out.add(id, false, 'compose.service.missing', { project, service, found: known })
    const noCheck = cs.find((c) => !c.hasHealthcheck)
    if (noCheck) return out.add(id, false, 'compose.healthy.noHealthcheck', { project, service, container: noCheck.name })
    const bad = cs.find((c) => c.health !== 'healthy')
    if (bad) out.add(id, false, 'compose.healthy.fail', { project, service, container: bad.name, status: bad.running ? (bad.health ?? 'none') : bad.status })
    else out.add(id, true, 'compose.healthy.ok', { project, service })
  }, 'compose.healthy.expect')

  for (const service of check.notRunning ?? []) {
    const running = (services.get(service) ?? []).filter((c) => c.running)
    out.expect(`${base}:not-running:${service}`, running.length === 0, 'compose.notRunning.ok', 'compose.notRunning.fail', { project, service, count: running.length })
  }

  for (const [service, expected] of Object.entries(check.replicas ?? {})) {
    const id = `${base}:replicas:${service}`
    if (!up) {
      out.pending(id, 'compose.replicas.expect', { project, service, expected })
      continue
    }
    const running = (services.get(service) ?? []).filter((c) => c.running).length
    out.expect(id, running === expected, 'compose.replicas.ok', 'compose.replicas.fail', { project, service, expected, found: running })
  }

  for (const file of check.configFiles ?? []) {
    const id = `${base}:config-file:${file}`
    if (!up) {
      out.pending(id, 'compose.configFile.expect', { project, file })
      continue
    }
    const files = (all[0]?.compose?.configFiles ?? '').split(',').filter(Boolean)
    const wanted = file.replace(/^\.\//, '')
    const ok = files.some((f) => f === file || f.endsWith(`/${wanted}`))
    out.expect(id, ok, 'compose.configFile.ok', 'compose.configFile.missing', { project, file, found: listOrNone(files.map((f) => f.split('/').pop() ?? f)) })
  }

  const needsFile = (check.profiles && Object.keys(check.profiles).length > 0) || (check.dependsOn ?? []).some((d) => !services.get(d.service)?.length)
  const file = needsFile ? composeFile(facts, index) : null
  const fileServices = file && 'services' in file ? file.services : null
  const fileProblem = () => (file && 'error' in file ? file.error : 'missing')

  for (const dep of check.dependsOn ?? []) {
    const id = `${base}:depends-on:${dep.service}:${dep.on}`
    const params = { project, service: dep.service, on: dep.on, condition: dep.condition ?? 'any' }
    // Compose records depends_on on each container it creates; a service with no container
    // yet (profiles, or not up) is read from the Compose file instead.
    const container = services.get(dep.service)?.[0]
    let deps: { on: string; condition: string }[] | null = null
    if (container) deps = parseComposeDependsOnLabel(container.compose?.dependsOn ?? '')
    else if (fileServices) deps = fileServices[dep.service] ? composeFileDependsOn(fileServices[dep.service]) : null
    if (deps === null) {
      if (!up && !fileServices) out.pending(id, 'compose.dependsOn.expect', params)
      else out.add(id, false, fileServices ? 'compose.service.missing' : 'compose.file.unreadable', { ...params, found: known, error: fileProblem() })
      continue
    }
    const found = deps.find((d) => d.on === dep.on)
    if (!found) out.add(id, false, 'compose.dependsOn.missing', params)
    else if (dep.condition && found.condition !== dep.condition) out.add(id, false, 'compose.dependsOn.condition', { ...params, found: found.condition })
    else out.add(id, true, 'compose.dependsOn.ok', { ...params, condition: found.condition })
  }

  for (const [service, profiles] of Object.entries(check.profiles ?? {})) {
    for (const profile of profiles) {
      const id = `${base}:profile:${service}:${profile}`
      const params = { project, service, profile }
      if (!fileServices) {
        out.add(id, false, 'compose.file.unreadable', { ...params, error: fileProblem() })
        continue
      }
      const def = fileServices[service] as { profiles?: unknown } | undefined
      if (!def) {
        out.add(id, false, 'compose.profile.noService', { ...params, found: listOrNone(Object.keys(fileServices)) })
        continue
      }
      const list = Array.isArray(def.profiles) ? def.profiles.map(String) : []
      out.expect(id, list.includes(profile), 'compose.profile.ok', 'compose.profile.missing', { ...params, found: listOrNone(list) })
    }
  }
}
