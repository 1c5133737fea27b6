// Fixtures for the checks' integration tests: the host's Docker engine stands in for a
// sandbox node. Everything created here carries a unique prefix and the label
// quai.test=checks, and is removed afterwards; nothing else on the daemon is touched.
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { dockerClientForSocket, type DockerDaemon } from '../../../lib/docker/client.server'
import type { CheckTarget, ExecOutput } from '../../../lib/checks/target'

const run = promisify(execFile)
export const BUSYBOX = 'quai-test/busybox:latest'

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 })
  return stdout.trim()
}

/** The busybox test image: imported from Debian's busybox-static when missing. */
export async function ensureBusybox(): Promise<void> {
  try {
    await docker('image', 'inspect', BUSYBOX)
    return
  } catch {
    // build it below
  }
  const bin = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p))
  if (!bin) throw new Error('busybox-static is needed for the checks tests: apt-get install -y busybox-static')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-busybox-'))
  for (const d of ['bin', 'etc', 'tmp', 'root']) fs.mkdirSync(path.join(dir, d))
  fs.copyFileSync(bin, path.join(dir, 'bin/busybox'))
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755)
  const { stdout } = await run(bin, ['--list'])
  for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) fs.symlinkSync('busybox', path.join(dir, 'bin', applet))
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n')
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', dir, '-c', '.'])
    const imp = spawn('docker', ['import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["sh"]', '-', BUSYBOX])
    tar.stdout.pipe(imp.stdin)
    imp.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker import exited ${code}`))))
    tar.on('error', reject)
  })
  fs.rmSync(dir, { recursive: true, force: true })
}

/** Runs bash on the host in a working folder: the host plays the sandbox node. */
export function hostExec(cwd: string) {
  return (command: string, opts: { timeoutMs: number }): Promise<ExecOutput> =>
    new Promise((resolve) => {
      const child = spawn('bash', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
      child.on('close', (code, sig) => {
        clearTimeout(timer)
        resolve({ exitCode: code ?? (sig ? 137 : -1), stdout, stderr })
      })
    })
}

export interface Lab {
  prefix: string
  workdir: string
  client: DockerDaemon
  target: CheckTarget
  /** Prefix a name so that it is this lab's. */
  n(name: string): string
  cleanup(): Promise<void>
}

/** A fresh, labelled namespace on the host daemon, with a working folder. */
export async function createLab(tag: string): Promise<Lab> {
  const prefix = `qck-${tag}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))
  const client = dockerClientForSocket('/var/run/docker.sock')
  const n = (name: string) => `${prefix}-${name}`
  const target: CheckTarget = { node: 'node1', docker: client, exec: hostExec(workdir) }
  return {
    prefix,
    workdir,
    client,
    target,
    n,
    async cleanup() {
      const ids = (await docker('ps', '-aq', '--filter', `name=^${prefix}-`)).split('\n').filter(Boolean)
      const composeIds = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${prefix}`)).split('\n').filter(Boolean)
      const all = [...new Set([...ids, ...composeIds])]
      if (all.length) await docker('rm', '-f', '-v', ...all)
      const nets = (await docker('network', 'ls', '-q', '--filter', `name=${prefix}-`)).split('\n').filter(Boolean)
      if (nets.length) await docker('network', 'rm', ...nets).catch(() => '')
      const vols = (await docker('volume', 'ls', '-q', '--filter', `name=${prefix}-`)).split('\n').filter(Boolean)
      if (vols.length) await docker('volume', 'rm', '-f', ...vols).catch(() => '')
      const images = (await docker('images', '-q', '--filter', `reference=${prefix}-*`)).split('\n').filter(Boolean)
      if (images.length) await docker('rmi', '-f', ...new Set(images)).catch(() => '')
      fs.rmSync(workdir, { recursive: true, force: true })
    },
  }
}

export const SANDBOX_IMAGE = 'quai/sandbox:latest'

export interface TestNode {
  name: string
  container: string
  socket: string
  target: CheckTarget
  /** Run a command with the node's docker CLI, in its lab folder. */
  sh(command: string): Promise<ExecOutput>
}

/**
 * A Docker-in-Docker node from Quai's sandbox image, started by the test itself (caps mode,
 * the inner daemon's socket in a host folder): a real, separate daemon where `docker swarm
 * init` is allowed. Removed with the lab. Needs `npm run images:build`.
 */
export async function startTestNode(lab: Lab, name: string, options: { hostname?: string; network?: string } = {}): Promise<TestNode> {
  try {
    await docker('image', 'inspect', SANDBOX_IMAGE)
  } catch {
    throw new Error(`${SANDBOX_IMAGE} is not built: run \`npm run images:build\``)
  }
  const container = lab.n(name)
  const dir = path.join(lab.workdir, `${name}-run`)
  fs.mkdirSync(dir, { recursive: true })
  await docker(
    'run', '-d', '--name', container, '--hostname', options.hostname ?? name,
    '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
    '--security-opt', 'systempaths=unconfined', '--cgroupns', 'private', '-e', 'QUAI_ISOLATION=caps',
    ...(options.network ? ['--network', options.network] : []),
    '-v', `${dir}:/run/quai`, '-v', `${lab.n(`${name}-docker`)}:/var/lib/docker`, SANDBOX_IMAGE,
  )
  const socket = path.join(dir, 'docker.sock')
  for (let i = 0; ; i++) {
    try {
      await run('docker', ['-H', `unix://${socket}`, 'version'])
      break
    } catch (error) {
      if (i > 80) throw new Error(`the test node ${container} did not start: ${(error as Error).message}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  // Lesson images come from the host's build; a node has no registry to pull from.
  for (const image of ['quai/lesson-busybox:latest']) {
    await new Promise<void>((resolve, reject) => {
      const save = spawn('docker', ['save', image])
      const load = spawn('docker', ['-H', `unix://${socket}`, 'load', '-q'])
      save.stdout.pipe(load.stdin)
      load.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading ${image} into ${container} failed`))))
    })
  }
  await run('docker', ['-H', `unix://${socket}`, 'tag', 'quai/lesson-busybox:latest', 'busybox:latest'])
  const sh = (command: string): Promise<ExecOutput> =>
    new Promise((resolve) => {
      const child = spawn('docker', ['exec', '-w', '/root/lab', container, 'bash', '-c', command])
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
      child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }))
    })
  const target: CheckTarget = {
    node: name,
    docker: dockerClientForSocket(socket),
    exec: (command, opts) => Promise.race([sh(command), new Promise<ExecOutput>((_, reject) => setTimeout(() => reject(new Error('exec timed out')), opts.timeoutMs))]),
  }
  return { name, container, socket, target, sh }
}

/** bash in a folder of a test node, bounded by `timeout`, as checks and solutions run there. */
export function shInNode(node: Pick<TestNode, 'container'>, workdir: string, script: string, timeoutMs: number): Promise<ExecOutput> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['exec', '-w', workdir, node.container, 'timeout', '-k', '5', String(Math.ceil(timeoutMs / 1000)), 'bash', '-c', script])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }))
  })
}
