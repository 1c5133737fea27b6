import { describe, expect, it } from 'vitest'
import { chooseAgent, type AgentCandidate, type AgentCapacity } from '../../../lib/sandbox/agent-choice'

const capacity = (over: Partial<AgentCapacity> = {}): AgentCapacity => ({ memoryFreeMb: 8000, memoryTotalMb: 16000, diskFreeMb: 50_000, runningSandboxes: 0, images: ['quai/node:1'], ...over })
const agent = (name: string, over: Partial<AgentCandidate> = {}, cap: Partial<AgentCapacity> = {}): AgentCandidate => ({ name, draining: false, lost: false, capacity: capacity(cap), ...over })
const needs = { memoryMb: 1000, diskMb: 2000, images: ['quai/node:1'] }

describe('chooseAgent', () => {
  it('takes the agent with the most room', () => {
    expect(chooseAgent([agent('a', {}, { memoryFreeMb: 3000 }), agent('b', {}, { memoryFreeMb: 6000 })], needs)).toEqual({ ok: true, agent: 'b' })
  })

  it('counts room by the scarcer of memory and disk', () => {
    // b has more memory but disk for only one sandbox.
    expect(chooseAgent([agent('a', {}, { memoryFreeMb: 4000 }), agent('b', {}, { memoryFreeMb: 9000, diskFreeMb: 2500 })], needs)).toEqual({ ok: true, agent: 'a' })
  })

  it('breaks ties by fewer running sandboxes, then by name', () => {
    expect(chooseAgent([agent('a', {}, { runningSandboxes: 3 }), agent('b', {}, { runningSandboxes: 1 })], needs)).toEqual({ ok: true, agent: 'b' })
    expect(chooseAgent([agent('b'), agent('a')], needs)).toEqual({ ok: true, agent: 'a' })
  })

  it('never picks a draining, lost or silent agent, nor one that never answered', () => {
    const big = { memoryFreeMb: 64_000 }
    expect(chooseAgent([agent('a', { draining: true }, big), agent('b')], needs)).toEqual({ ok: true, agent: 'b' })
    expect(chooseAgent([agent('a', { lost: true }, big), agent('b')], needs)).toEqual({ ok: true, agent: 'b' })
    expect(chooseAgent([agent('a', { capacity: null }), agent('b')], needs)).toEqual({ ok: true, agent: 'b' })
    // Unheard for a few heartbeats: not lost yet, but a new sandbox would likely fail there.
    expect(chooseAgent([agent('a', { silent: true }, big), agent('b')], needs)).toEqual({ ok: true, agent: 'b' })
    expect(chooseAgent([agent('a', { draining: true }), agent('b', { lost: true })], needs)).toEqual({ ok: false, reason: 'no_agent' })
    expect(chooseAgent([], needs)).toEqual({ ok: false, reason: 'no_agent' })
  })

  it('needs every image the sandbox uses (a bare name matches its :latest tag)', () => {
    expect(chooseAgent([agent('a', {}, { images: [], memoryFreeMb: 64_000 }), agent('b')], needs)).toEqual({ ok: true, agent: 'b' })
    expect(chooseAgent([agent('a', {}, { images: ['other:1'] })], needs)).toEqual({ ok: false, reason: 'missing_images' })
    expect(chooseAgent([agent('a', {}, { images: ['busybox:latest'] })], { ...needs, images: ['busybox'] })).toEqual({ ok: true, agent: 'a' })
  })

  it('prefers an agent whose mirror serves every lesson image, over one with more room', () => {
    const lesson = { ...needs, lessonImages: ['nginx:1.26', 'prom/prometheus'] }
    const serves = { mirrorImages: ['nginx:1.26', 'prom/prometheus:latest'] }
    expect(chooseAgent([agent('a', {}, { memoryFreeMb: 64_000, mirrorImages: ['nginx:1.26'] }), agent('b', {}, serves)], lesson)).toEqual({ ok: true, agent: 'b' })
    // An older agent says nothing of its mirror: it serves nothing the lesson needs.
    expect(chooseAgent([agent('a', {}, { memoryFreeMb: 64_000 }), agent('b', {}, serves)], lesson)).toEqual({ ok: true, agent: 'b' })
    // None with room serves them all: where there is room, saying what is missing there.
    expect(chooseAgent([agent('a', {}, { memoryFreeMb: 64_000, mirrorImages: ['nginx:1.26'] }), agent('b', {}, { ...serves, memoryFreeMb: 500 })], lesson)).toEqual({
      ok: true,
      agent: 'a',
      lessonImagesMissing: ['prom/prometheus'],
    })
  })

  it('answers full when no agent has room for one more', () => {
    expect(chooseAgent([agent('a', {}, { memoryFreeMb: 500 }), agent('b', {}, { diskFreeMb: 100 })], needs)).toEqual({ ok: false, reason: 'full' })
  })
})

describe('chooseAgent between heartbeats', () => {
  it('counts the sandboxes placed since the last answer, so a burst spreads', () => {
    const both = (placedA: number, placedB: number) => [agent('a', { placedSinceHeartbeat: placedA }), agent('b', { placedSinceHeartbeat: placedB })]
    expect(chooseAgent(both(0, 0), needs)).toEqual({ ok: true, agent: 'a' })
    expect(chooseAgent(both(1, 0), needs)).toEqual({ ok: true, agent: 'b' })
    expect(chooseAgent(both(1, 1), needs)).toEqual({ ok: true, agent: 'a' })
    // Memory for 8; 8 placed since: full.
    expect(chooseAgent([agent('a', { placedSinceHeartbeat: 8 })], needs)).toEqual({ ok: false, reason: 'full' })
  })
})
