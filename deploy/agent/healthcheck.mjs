#!/usr/bin/env node
// quai-agent's health check (the image's HEALTHCHECK). The agent answers HTTP on its unix socket
// or private address; every real request must be signed, so an unsigned one is refused (401):
// that answer is the proof of life, and the check needs no key.
//
// Outside Swarm, Docker only reports "unhealthy" and restarts nothing. With
// QUAI_AGENT_HEALTH_RESTART_AFTER=N (deploy/agent/run.sh sets 3), the Nth failure in a row stops
// the agent (the child of tini, whose PID entrypoint.sh recorded), the container exits, and
// `--restart=always` starts a fresh agent.
import fs from 'node:fs'
import http from 'node:http'

const failures = '/tmp/quai-agent-health-failures'
const restartAfter = Number(process.env.QUAI_AGENT_HEALTH_RESTART_AFTER ?? 0)

function done(healthy, message) {
  if (healthy) {
    fs.rmSync(failures, { force: true })
    process.exit(0)
  }
  let count = 1
  try {
    count = Number(fs.readFileSync(failures, 'utf8')) + 1
  } catch {
    // first failure: no count yet
  }
  fs.writeFileSync(failures, String(count))
  console.error(`quai-agent unhealthy (${count} in a row): ${message}`)
  if (restartAfter > 0 && count >= restartAfter) {
    fs.rmSync(failures, { force: true })
    // The agent runs under the container's own first process, tini (entrypoint.sh wrote its PID:
    // with --pid=host, PID 1 is the host's init, which must never be signalled), as tsx and its
    // node child. All of tini's descendants get SIGKILL, since a hung or stopped agent never runs
    // its SIGTERM handler and an orphan would keep the port; tini then exits, and so does the
    // container.
    const tini = Number(fs.readFileSync('/tmp/quai-agent.pid', 'utf8'))
    if (tini > 1 && fs.readFileSync(`/proc/${tini}/cmdline`, 'utf8').includes('tini')) {
      console.error(`quai-agent unhealthy ${count} times in a row: killing it, --restart starts a new one`)
      const childrenOf = (pid) => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
      const descendants = []
      for (let queue = childrenOf(tini); queue.length > 0; ) {
        const pid = queue.shift()
        descendants.push(pid)
        queue.push(...childrenOf(pid))
      }
      for (const pid of descendants.reverse()) process.kill(pid, 'SIGKILL')
    }
  }
  process.exit(1)
}

const socketPath = process.env.QUAI_AGENT_SOCKET
const listen = process.env.QUAI_AGENT_LISTEN && /^\[?([0-9a-fA-F:.]+?)\]?:(\d+)$/.exec(process.env.QUAI_AGENT_LISTEN)
const target = socketPath ? { socketPath } : listen ? { host: listen[1], port: Number(listen[2]) } : null
if (!target) done(false, 'neither QUAI_AGENT_SOCKET nor QUAI_AGENT_LISTEN is set')

const request = http.request({ ...target, path: '/v1/health-probe', method: 'GET', timeout: 4000 }, (response) => {
  response.resume()
  // Any HTTP answer but a server error: the event loop runs and the listener is up.
  const status = response.statusCode ?? 0
  done(status > 0 && status < 500, `HTTP ${status}`)
})
request.on('timeout', () => request.destroy(new Error('no answer within 4 s')))
request.on('error', (error) => done(false, error.message))
request.end()
