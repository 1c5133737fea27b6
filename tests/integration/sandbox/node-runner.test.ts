// The checks' commands go through the node's resident runner (images/sandbox/quai-runner) on a
// real sandbox: the same world, folder, output and exit codes as a plain exec, one runner
// reused from call to call, and a learner who kills it costs nothing but a plain exec.
import { afterAll, describe, expect, it } from 'vitest'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { cleanUpNamespace, createUser, withTestNamespace } from './support'

withTestNamespace('runner')
afterAll(async () => {
  await cleanUpNamespace()
})

/** The command line of the process that started the command: the runner, or the exec's nsenter chain. */
const parentCommand = ['bash', '-c', 'echo "$PPID $(tr "\\0" " " < /proc/$PPID/cmdline)"']

describe.sequential('the resident command runner', () => {
  let sandboxId = ''

  it('runs a command as a plain exec does: the learner\'s namespaces, the folder asked for, both outputs and the exit code', async () => {
    await createUser('rita')
    sandboxId = (await openSandbox('rita')).id
    const probe = ['bash', '-c', 'pwd; readlink /proc/self/ns/pid /proc/self/ns/net /proc/self/ns/mnt /proc/self/ns/user; id -u; hostname; printf "é ✓\\n" >&2; exit 3']
    const plain = await execInNode(sandboxId, 'node1', probe, { workingDir: '/tmp', timeoutMs: 10_000 })
    const resident = await execInNode(sandboxId, 'node1', probe, { workingDir: '/tmp', timeoutMs: 10_000, resident: true })
    expect(plain).toMatchObject({ exitCode: 3, stderr: 'é ✓\n', timedOut: false })
    expect(plain.stdout.split('\n')[0]).toBe('/tmp')
    expect(resident).toMatchObject({ exitCode: 3, stdout: plain.stdout, stderr: plain.stderr, timedOut: false, truncated: false })
    // No folder given: the learner's lab folder, as quai-enter's default.
    const lab = await execInNode(sandboxId, 'node1', ['pwd'], { resident: true })
    expect(lab.stdout).toBe('/root/lab\n')
  })

  it('keeps one runner for the node: two commands have the same parent, quai-runner', async () => {
    const first = await execInNode(sandboxId, 'node1', parentCommand, { resident: true })
    const second = await execInNode(sandboxId, 'node1', parentCommand, { resident: true })
    expect(first.stdout).toMatch(/^\d+ \/usr\/bin\/perl \/usr\/local\/bin\/quai-runner/)
    expect(second.stdout).toBe(first.stdout)
    const plain = await execInNode(sandboxId, 'node1', parentCommand)
    expect(plain.stdout).not.toContain('quai-runner')
  })

  it('bounds a command by its timeout and its output by the cap', async () => {
    const started = Date.now()
    const slow = await execInNode(sandboxId, 'node1', ['sleep', '30'], { timeoutMs: 1000, resident: true })
    expect(slow.exitCode).toBe(124)
    expect(Date.now() - started).toBeLessThan(10_000)
    const loud = await execInNode(sandboxId, 'node1', ['bash', '-c', 'head -c 200000 /dev/zero | tr "\\0" a; echo done >&2'], { maxOutputBytes: 1000, resident: true })
    expect(loud).toMatchObject({ exitCode: 0, stderr: 'done\n', truncated: true })
    expect(loud.stdout).toBe('a'.repeat(1000))
    // A command that leaves a child behind holding its output is answered all the same.
    const background = await execInNode(sandboxId, 'node1', ['bash', '-c', 'sleep 20 & echo started'], { timeoutMs: 5000, resident: true })
    expect(background).toMatchObject({ exitCode: 0, stdout: 'started\n' })
  })

  it('answers through a plain exec when the learner killed the runner, then starts a new one', async () => {
    const before = await execInNode(sandboxId, 'node1', parentCommand, { resident: true })
    const killed = await execInNode(sandboxId, 'node1', ['bash', '-c', 'pkill -KILL -f "^/usr/bin/perl /usr/local/bin/quai-runner"; sleep 0.2; pgrep -fc "^/usr/bin/perl /usr/local/bin/quai-runner" || true'])
    expect(killed.stdout.trim()).toBe('0')
    const during = await execInNode(sandboxId, 'node1', ['bash', '-c', 'echo still here'], { resident: true })
    expect(during).toMatchObject({ exitCode: 0, stdout: 'still here\n' })
    const after = await execInNode(sandboxId, 'node1', parentCommand, { resident: true })
    expect(after.stdout).toMatch(/quai-runner/)
    expect(after.stdout).not.toBe(before.stdout)
  })
})
