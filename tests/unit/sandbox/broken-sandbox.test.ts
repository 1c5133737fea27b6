import { describe, expect, it } from 'vitest'
import { deadNodesOf, deathDescription, deathReasonOf } from '../../../lib/sandbox/node-health'

// Which running sandboxes the health tick ends, from one listing of the node containers.
describe('deadNodesOf', () => {
  const running = (containerId: string, sandboxId = 's1', node = 'node1') => ({ sandboxId, node, containerId, running: true })
  const stopped = (containerId: string, sandboxId = 's1', node = 'node1') => ({ sandboxId, node, containerId, running: false })

  it('ends nothing while every node runs', () => {
    expect(deadNodesOf([{ id: 's1', nodes: [{ name: 'node1', containerId: 'c1' }] }], [running('c1')])).toEqual([])
  })

  it('names the first stopped node of a sandbox, once', () => {
    const sandboxes = [
      {
        id: 'swarm',
        nodes: [
          { name: 'manager', containerId: 'm' },
          { name: 'worker1', containerId: 'w1' },
          { name: 'worker2', containerId: 'w2' },
        ],
      },
    ]
    const states = [running('m', 'swarm', 'manager'), stopped('w1', 'swarm', 'worker1'), stopped('w2', 'swarm', 'worker2')]
    expect(deadNodesOf(sandboxes, states)).toEqual([{ sandboxId: 'swarm', node: 'worker1', containerId: 'w1' }])
  })

  it('counts a node whose container vanished as dead', () => {
    expect(deadNodesOf([{ id: 's1', nodes: [{ name: 'node1', containerId: 'gone' }] }], [])).toEqual([{ sandboxId: 's1', node: 'node1', containerId: 'gone' }])
  })

  it('leaves alone a node whose container id is not recorded yet (its start is being written)', () => {
    expect(deadNodesOf([{ id: 's1', nodes: [{ name: 'node1', containerId: null }] }], [])).toEqual([])
  })
})

describe('how a death is told', () => {
  it('tells out of memory apart', () => {
    expect(deathReasonOf({ node: 'node1', exitCode: 137, outOfMemory: true })).toBe('node_out_of_memory')
    expect(deathReasonOf({ node: 'node1', exitCode: 0, outOfMemory: false })).toBe('node_died')
    expect(deathReasonOf(null)).toBe('node_died')
    expect(deathDescription('node1', { node: 'node1', exitCode: 137, outOfMemory: true })).toBe('node node1 stopped: its Docker daemon ended (exit code 137, out of memory)')
    expect(deathDescription('node1', null)).toBe('node node1 disappeared from its host')
  })
})
