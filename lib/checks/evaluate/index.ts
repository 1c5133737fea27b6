import { AssertionList, type Assertion } from '../assertions'
import { withAuthorMessages } from '../author-messages'
import type { NodeFacts } from '../facts'
import type { Check } from '../../content/check-kinds'
import { evaluateCompose } from './compose'
import { evaluateContainer } from './container'
import { evaluateCommand, evaluateDns, evaluateFile, evaluateHttp, evaluateReach, evaluateScript } from './probes'
import { evaluateImage, evaluateNetwork, evaluateVolume } from './resources'
import { evaluateSecret, evaluateService, evaluateStack, evaluateSwarm } from './swarm'

/** Evaluate one check against the facts of its node. Pure: no I/O. */
export function evaluateCheck(check: Check, index: number, facts: NodeFacts): Assertion[] {
  const out = new AssertionList(index)
  switch (check.kind) {
    case 'container': evaluateContainer(check, facts, out); break
    case 'network': evaluateNetwork(check, facts, out); break
    case 'volume': evaluateVolume(check, facts, out, index); break
    case 'image': evaluateImage(check, facts, out, index); break
    case 'compose': evaluateCompose(check, facts, out, index); break
    case 'swarm': evaluateSwarm(check, facts, out); break
    case 'service': evaluateService(check, facts, out); break
    case 'secret':
    case 'config': evaluateSecret(check, facts, out); break
    case 'stack': evaluateStack(check, facts, out); break
    case 'dns': evaluateDns(check, facts, out, index); break
    case 'reach': evaluateReach(check, facts, out, index); break
    case 'http': evaluateHttp(check, facts, out, index); break
    case 'file': evaluateFile(check, facts, out, index); break
    case 'command': evaluateCommand(check, facts, out, index); break
    case 'script': evaluateScript(check, facts, out, index); break
    default: {
      const never: never = check
      throw new Error(`unknown check kind ${(never as { kind: string }).kind}`)
    }
  }
  return withAuthorMessages(check.messages, out.items)
}

/** Assertions of several checks, with ids kept unique across the whole exercise. */
export function evaluateChecks(checks: readonly { check: Check; index: number; facts: NodeFacts }[]): Assertion[] {
  const seen = new Set<string>()
  const all: Assertion[] = []
  for (const { check, index, facts } of checks) {
    for (const a of evaluateCheck(check, index, facts)) {
      let id = a.id
      for (let n = 2; seen.has(id); n++) id = `${a.id}#${n}`
      seen.add(id)
      all.push(id === a.id ? a : { ...a, id })
    }
  }
  return all
}
