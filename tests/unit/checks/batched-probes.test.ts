// DNS and reach probes from one container share one exec: the batched command run for real by
// this machine's sh against local listeners, and its output split back per probe.
import { execFile } from 'node:child_process'
import net, { type AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchedProbeCommand, dnsCommand, parseDns, parseReach, reachCommand, splitBatchedOutput } from '@/lib/checks/probes'

const run = promisify(execFile)

async function runBatch(commands: string[][]) {
  const [file, ...args] = batchedProbeCommand(commands)
  try {
    const { stdout } = await run(file!, args, { timeout: 20_000 })
    return { exitCode: 0, stdout }
  } catch (error) {
    const e = error as { code?: number; stdout?: string }
    return { exitCode: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '' }
  }
}

describe('batched container probes', () => {
  let server: net.Server
  let openPort = 0
  let closedPort = 0
  beforeAll(async () => {
    server = net.createServer((socket) => socket.end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    openPort = (server.address() as AddressInfo).port
    const probe = net.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    closedPort = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('gives each probe its own output and exit code, as separate execs would', async () => {
    const commands = [dnsCommand('localhost'), reachCommand('127.0.0.1', openPort), reachCommand('127.0.0.1', closedPort), dnsCommand('no-such-host.invalid')]
    const batched = await runBatch(commands)
    const parts = splitBatchedOutput(commands.length, batched.exitCode, batched.stdout)
    const alone = await Promise.all(commands.map(async ([file, ...args]) => run(file!, args).then((r) => ({ exitCode: 0, stdout: r.stdout }), (e: { code?: number; stdout?: string }) => ({ exitCode: e.code ?? 1, stdout: e.stdout ?? '' }))))
    expect(parts.map((p) => p.exitCode)).toEqual(alone.map((a) => a.exitCode))
    expect(parseDns(parts[0]!.exitCode, parts[0]!.stdout)).toEqual(parseDns(alone[0]!.exitCode, alone[0]!.stdout))
    expect(parseDns(parts[0]!.exitCode, parts[0]!.stdout)).toMatchObject({ outcome: 'done', addresses: expect.arrayContaining(['127.0.0.1']) })
    expect(parseReach(parts[1]!.exitCode, parts[1]!.stdout, openPort)).toMatchObject({ outcome: 'done', reached: true })
    expect(parseReach(parts[2]!.exitCode, parts[2]!.stdout, closedPort)).toMatchObject({ outcome: 'done', reached: false })
    expect(parseDns(parts[3]!.exitCode, parts[3]!.stdout)).toEqual({ outcome: 'done', addresses: [] })
  })

  it('says "no shell" for every probe when the container has none', () => {
    const parts = splitBatchedOutput(2, 127, '')
    expect(parts).toEqual([
      { exitCode: 127, stdout: '' },
      { exitCode: 127, stdout: '' },
    ])
    expect(parseDns(parts[0]!.exitCode, parts[0]!.stdout).outcome).toBe('no-tool')
  })

  it('ignores lines that are not framed, whatever the learner container prints', () => {
    const parts = splitBatchedOutput(2, 0, 'garbage\n1 ok nc\n7 stray\n0 10.0.0.5\n1 @@quai-exit 0\n0 @@quai-exit 0\n')
    expect(parts).toEqual([
      { exitCode: 0, stdout: '10.0.0.5\n' },
      { exitCode: 0, stdout: 'ok nc\n' },
    ])
  })
})
