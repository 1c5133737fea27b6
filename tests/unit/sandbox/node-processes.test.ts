// Which processes run a node (lib/sandbox/node-processes.ts), from a tree like a real node's
// (tests/integration/sandbox/process-identity.test.ts runs it on a real sandbox).
import { describe, expect, it } from 'vitest'
import { nodeProcessPids, type ProcessInfo } from '../../../lib/sandbox/node-processes'

const p = (pid: number, ppid: number, exe: string, startTime = pid, namespaceInit = false): ProcessInfo => ({ pid, ppid, exe, startTime, namespaceInit })

describe('nodeProcessPids', () => {
  const node = [
    p(10, 1, '/usr/bin/tini', 10, true), // the container's init (outer)
    p(11, 10, '/usr/bin/bash'), // the outer entrypoint
    p(12, 11, '/usr/bin/unshare'),
    p(13, 12, '/usr/bin/tini', 13, true), // the inner init
    p(14, 13, '/usr/sbin/dockerd'),
    p(15, 14, '/usr/bin/containerd'),
    p(16, 14, '/usr/sbin/docker-proxy'),
  ]
  it('spares the node chain and kills look-alikes by identity', () => {
    const learner = [
      p(20, 13, '/tmp/dockerd'), // a copy, orphaned onto the inner init
      p(21, 13, '/usr/sbin/dockerd'), // the real binary, started later by the learner
      p(22, 13, '/usr/bin/containerd-shim-runc-v2'),
      p(23, 22, '/usr/bin/sleep'),
      p(24, 16, '/usr/sbin/docker-proxy'), // what a replaced docker-proxy forks
      p(25, 15, '/usr/sbin/runc'),
    ]
    expect([...nodeProcessPids([...node, ...learner], new Set([10]))].sort()).toEqual([10, 11, 12, 13, 14, 15, 16])
  })
  it('spares nothing of a node whose init is not listed', () => {
    expect(nodeProcessPids(node, new Set([99])).size).toBe(0)
  })
})
