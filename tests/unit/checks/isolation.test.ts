import { describe, expect, it } from 'vitest'
import { container, evaluate, facts, network } from './helpers'

// isolated: the container's networks, as inspected, decide; nothing runs in the container.

describe('container isolated', () => {
  it('passes on an internal network, fails on a bridge, and names the way out', () => {
    const back = network('back')
    const onBack = { ...container('web'), networks: [{ name: back.name, id: '', ipv4: '', aliases: [] }] }
    const onBoth = { ...onBack, networks: [...onBack.networks, { name: 'bridge', id: '', ipv4: '', aliases: [] }] }
    const ok = evaluate({ kind: 'container', name: 'web', isolated: true }, facts({ containers: [onBack], networks: [back] }))
    expect(ok.find((l) => l.id === 'container:web:isolated')).toMatchObject({ passed: true, en: `container web cannot leave its networks (${back.name})` })
    const open = evaluate({ kind: 'container', name: 'web', isolated: true }, facts({ containers: [onBoth], networks: [back] }))
    expect(open.find((l) => l.id === 'container:web:isolated')).toMatchObject({ passed: false, fr: 'le conteneur web peut sortir de ses réseaux par bridge : seuls none et les réseaux internes l’en empêchent' })
  })

  it('counts none as closed and host as open', () => {
    const on = (name: string) => ({ ...container('web'), networks: [{ name, id: '', ipv4: '', aliases: [] }] })
    expect(evaluate({ kind: 'container', name: 'web', isolated: true }, facts({ containers: [on('none')] }))[1]!.passed).toBe(true)
    expect(evaluate({ kind: 'container', name: 'web', isolated: true }, facts({ containers: [on('host')] }))[1]!.passed).toBe(false)
    expect(evaluate({ kind: 'container', name: 'web', isolated: false }, facts({ containers: [on('host')] }))[1]!.passed).toBe(true)
  })
})
