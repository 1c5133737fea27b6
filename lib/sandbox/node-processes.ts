// Which processes of a sandbox run its nodes, by identity rather than by name (a learner's
// `exec -a dockerd` or a copy at /tmp/dockerd is named like a daemon, and is the learner's).
// Pure: the facts come from /proc (host.server.ts processInfo).

export type ProcessInfo = {
  pid: number
  ppid: number
  /** Clock ticks since boot. */
  startTime: number
  /** The binary it runs, as its mount namespace names it ('' when unreadable). */
  exe: string
  /** The init of its pid namespace: where orphans land. */
  namespaceInit: boolean
}

/**
 * Which binaries a node's own process starts as children (paths in the sandbox image): the
 * outer entrypoint starts unshare, unshare the inner init, dockerd its containerd and its port
 * proxies. Nothing else they start (runc, shims, build steps) runs the node.
 */
const nodeChildren: Record<string, readonly string[]> = {
  '/usr/bin/bash': ['/usr/bin/unshare'],
  '/bin/bash': ['/usr/bin/unshare'],
  '/usr/bin/unshare': ['/usr/bin/tini'],
  '/usr/sbin/dockerd': ['/usr/bin/containerd', '/usr/sbin/docker-proxy'],
}

/**
 * The pids that run the nodes, everything else in `processes` is the learner's. From each
 * node's init (the container's first process, which no learner process descends from), down:
 * - the first child an init started (the outer entrypoint; inside, the inner root's dockerd:
 *   the inner entrypoint execs it): learner orphans are re-parented to these inits later, so
 *   an init's other children are not trusted;
 * - the children of those that run what that process starts (nodeChildren: unshare, the
 *   inner tini, containerd, docker-proxy): a learner cannot make those processes fork.
 * A process whose parent is the learner's, or a reaper's later child, is the learner's:
 * containerd shims too (re-parented to the inner init), which end with the containers they ran.
 */
export function nodeProcessPids(processes: readonly ProcessInfo[], inits: ReadonlySet<number>): Set<number> {
  const children = new Map<number, ProcessInfo[]>()
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p])
  const essential = new Set<number>()
  const byPid = new Map(processes.map((p) => [p.pid, p]))
  const visit = (p: ProcessInfo) => {
    if (essential.has(p.pid)) return
    essential.add(p.pid)
    const kids = children.get(p.pid) ?? []
    if (p.namespaceInit || inits.has(p.pid)) {
      const first = [...kids].sort((a, b) => a.startTime - b.startTime || a.pid - b.pid)[0]
      if (first) visit(first)
    } else {
      const allowed = nodeChildren[p.exe] ?? []
      for (const k of kids) if (allowed.includes(k.exe)) visit(k)
    }
  }
  for (const pid of inits) {
    const init = byPid.get(pid)
    if (init) visit(init)
  }
  return essential
}
