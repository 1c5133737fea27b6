// The host stays out of a learner's reach over every address family: a host service listening
// on [::] does not answer a sandbox over IPv6 (the bridge's link-local address, or any host
// address routed through it), even when the learner, root in their network namespace, turns
// IPv6 on and adds the routes; IPv4 stays blocked; and a network the host is attached to (its
// LAN, here a public-looking 198.18.x.0/24 made for the test) is not reachable either, while
// the host itself reaches it. Needs root, Docker and `npm run images:build`.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import type { SandboxView } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'

const run = promisify(execFile)
withTestNamespace('hnet')

const sh = (id: string, script: string, timeoutMs = 60_000) => execInNode(id, 'node1', ['bash', '-c', script], { timeoutMs })

type IpAddr = { ifname: string; address?: string; addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }

async function hostAddresses(): Promise<IpAddr[]> {
  return JSON.parse((await run('ip', ['-j', 'addr'])).stdout) as IpAddr[]
}

/** The link-local address the kernel derives from a MAC (EUI-64), whether or not it is assigned. */
function eui64LinkLocal(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16))
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = b
  const groups = [((b0 ^ 2) << 8) | b1, (b2 << 8) | 0xff, (0xfe << 8) | b3, (b4 << 8) | b5]
  return `fe80::${groups.map((g) => g.toString(16)).join(':')}`
}

function network4(ip: string, bits: number): string {
  const n = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
  const base = n - (n % 2 ** (32 - bits))
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${bits}`
}

// A LAN the host is attached to: a veth into a network namespace of its own, with a service on it.
// From 1: with a 0, ip6tables prints 2001:db8:0::/64 back as 2001:db8::/64 (one run in 250 failed).
const tag = 1 + (process.pid % 250)
const lan = {
  ns: `qlan${process.pid}`,
  hostIf: `qlh${process.pid}`.slice(0, 15),
  peerIf: `qlp${process.pid}`.slice(0, 15),
  hostIp: `198.18.${tag}.1`,
  peerIp: `198.18.${tag}.2`,
  hostIp6: `2001:db8:${tag.toString(16)}::1`,
  prefix6: `2001:db8:${tag.toString(16)}::/64`,
  port: 20_000 + (process.pid % 20_000),
}

describe.sequential('the host stays out of reach', () => {
  let sandbox: SandboxView
  let hostService: http.Server
  let hostPort = 0
  let lanService: ChildProcess | null = null

  beforeAll(async () => {
    await createUser('hnet-a')
    const ip = (...args: string[]) => run('ip', args)
    await ip('netns', 'add', lan.ns)
    await ip('link', 'add', lan.hostIf, 'type', 'veth', 'peer', 'name', lan.peerIf, 'netns', lan.ns)
    await ip('addr', 'add', `${lan.hostIp}/24`, 'dev', lan.hostIf)
    await ip('-6', 'addr', 'add', `${lan.hostIp6}/64`, 'dev', lan.hostIf, 'nodad')
    await ip('link', 'set', lan.hostIf, 'up')
    await ip('-n', lan.ns, 'addr', 'add', `${lan.peerIp}/24`, 'dev', lan.peerIf)
    await ip('-n', lan.ns, 'link', 'set', lan.peerIf, 'up')
    await ip('-n', lan.ns, 'link', 'set', 'lo', 'up')
    lanService = spawn('ip', ['netns', 'exec', lan.ns, process.execPath, '-e', `require('http').createServer((q, s) => s.end('lan-secret')).listen(${lan.port}, '0.0.0.0')`], { stdio: 'ignore' })
    // A service of the host's own on every address, IPv6 and IPv4 ([::] is dual-stack).
    hostService = http.createServer((_, res) => res.end('host-secret'))
    await new Promise<void>((resolve) => hostService.listen(0, '::', resolve))
    hostPort = (hostService.address() as AddressInfo).port
    sandbox = await openSandbox('hnet-a')
  })

  afterAll(async () => {
    hostService?.close()
    if (lanService?.pid) process.kill(lanService.pid)
    await run('ip', ['link', 'del', lan.hostIf]).catch(() => undefined)
    await run('ip', ['netns', 'del', lan.ns]).catch(() => undefined)
    await cleanUpNamespace()
  })

  it('answers no IPv6 from a sandbox: not the bridge\'s link-local address, not any host address, even with IPv6 turned on inside', async () => {
    const bridge = `qsb${sandbox.id.slice(0, 12)}`
    const link = JSON.parse((await run('ip', ['-j', 'link', 'show', 'dev', bridge])).stdout) as { address: string }[]
    const bridgeLinkLocal = eui64LinkLocal(link[0]?.address ?? '')
    const all = await hostAddresses()
    const host6 = all.flatMap((i) => i.addr_info.filter((a) => a.family === 'inet6' && a.scope !== 'host').map((a) => ({ ifname: i.ifname, local: a.local, scope: a.scope })))
    // The service answers the host itself over IPv6 (global and loopback).
    expect(await fetch(`http://[::1]:${hostPort}/`).then((r) => r.text())).toBe('host-secret')
    const global6 = host6.find((a) => a.scope === 'global')
    if (global6) expect(await fetch(`http://[${global6.local}]:${hostPort}/`).then((r) => r.text())).toBe('host-secret')

    // The bridge's own link-local address, and those of the host's other interfaces (a
    // link-local address answers only on its own link: these are controls, not the hole).
    const own = (a: { ifname: string }) => !/^(veth|qsb|br-)/.test(a.ifname)
    const linkLocals = [...new Set([bridgeLinkLocal, ...host6.filter((a) => a.scope === 'link' && own(a)).map((a) => a.local)])]
    const globals = [...new Set(host6.filter((a) => a.scope === 'global').map((a) => a.local))]
    const tryAll = () =>
      [
        ...linkLocals.map((a) => `(curl -g -s -m 3 "http://[${a}%25eth0]:${hostPort}/" || echo "blocked ${a}") &`),
        ...globals.map((a) => `(curl -g -s -m 3 "http://[${a}]:${hostPort}/" || echo "blocked ${a}") &`),
        'wait',
      ].join('\n')
    const script = [
      // Root in the sandbox's network namespace turns IPv6 on and routes everything to the host's side of the bridge.
      'sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0',
      'for i in $(seq 1 50); do ip -6 addr show dev eth0 scope link | grep -q inet6 && ! ip -6 addr show dev eth0 | grep -q tentative && break; sleep 0.2; done',
      'ip -6 -o addr show dev eth0 scope link | grep -q inet6 && echo ipv6-on',
      `ip -6 route replace default via ${bridgeLinkLocal} dev eth0 && echo routed`,
      tryAll(),
    ].join('\n')
    const probe = await sh(sandbox.id, script, 90_000)
    expect(probe.stdout).toContain('ipv6-on')
    expect(probe.stdout).toContain('routed')
    expect(probe.stdout).not.toContain('host-secret')
    for (const a of [...linkLocals, ...globals]) expect(probe.stdout).toContain(`blocked ${a}`)

    // Should IPv6 come back on the host's side of the bridge (turned on by hand, or by a
    // Docker set up for IPv6), the ip6tables rules still drop what a sandbox sends the host.
    const sysctl = `/proc/sys/net/ipv6/conf/${bridge}/disable_ipv6`
    await run('sh', ['-c', `echo 0 > ${sysctl}`])
    try {
      for (let i = 0; i < 50; i++) {
        const addrs = JSON.parse((await run('ip', ['-j', '-6', 'addr', 'show', 'dev', bridge])).stdout) as { addr_info: { local: string; tentative?: boolean }[] }[]
        if (addrs[0]?.addr_info.some((a) => a.local === bridgeLinkLocal && !a.tentative)) break
        await new Promise((r) => setTimeout(r, 200))
      }
      const again = await sh(sandbox.id, tryAll(), 90_000)
      expect(again.stdout).not.toContain('host-secret')
      for (const a of [...linkLocals, ...globals]) expect(again.stdout).toContain(`blocked ${a}`)
    } finally {
      await run('sh', ['-c', `echo 1 > ${sysctl}`])
    }
  })

  it('keeps IPv4 to the host blocked', async () => {
    const hostIp = (await run('ip', ['-4', '-o', 'route', 'get', '1.1.1.1'])).stdout.match(/src (\S+)/)?.[1] ?? '127.0.0.1'
    expect(await fetch(`http://${hostIp}:${hostPort}/`).then((r) => r.text())).toBe('host-secret')
    const gateway = (await sh(sandbox.id, 'ip -4 route show default')).stdout.match(/via (\S+)/)?.[1]
    expect(gateway).toBeTruthy()
    const probe = await sh(sandbox.id, [`curl -s -m 3 http://${gateway}:${hostPort}/ || echo blocked-gateway`, `curl -s -m 3 http://${hostIp}:${hostPort}/ || echo blocked-host-ip`].join('; '))
    expect(probe.stdout).not.toContain('host-secret')
    expect(probe.stdout).toContain('blocked-gateway')
    expect(probe.stdout).toContain('blocked-host-ip')
  })

  it("drops the host's own networks (a public-looking LAN), in IPv4 and IPv6 rules, while the sandbox's own network works", async () => {
    // The host reaches its LAN...
    let body = ''
    for (let i = 0; i < 50 && body !== 'lan-secret'; i++) {
      body = await fetch(`http://${lan.peerIp}:${lan.port}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.text(), () => '')
      if (body !== 'lan-secret') await new Promise((r) => setTimeout(r, 100))
    }
    expect(body).toBe('lan-secret')
    // ...a sandbox does not (routed through the host, masqueraded: it would answer).
    const probe = await sh(sandbox.id, [`curl -s -m 3 http://${lan.peerIp}:${lan.port}/ || echo blocked-lan`, 'curl -s -m 3 http://quai-registry:5000/v2/ && echo && echo mirror-ok'].join('; '))
    expect(probe.stdout).not.toContain('lan-secret')
    expect(probe.stdout).toContain('blocked-lan')
    expect(probe.stdout).toContain('mirror-ok')

    // The rules name every subnet the host is attached to, in both families (fe80::/10 and
    // fc00::/7 cover link-local and ULA prefixes whatever the host's).
    const v4 = (await run('iptables', ['-w', '-S', 'QUAI-SANDBOX-FORWARD'])).stdout
    const v6 = (await run('ip6tables', ['-w', '-S', 'QUAI-SANDBOX-FORWARD'])).stdout
    expect(v4).toContain(`-d 198.18.${tag}.0/24 -j DROP`)
    expect(v6).toContain(`-d ${lan.prefix6} -j DROP`)
    expect(v6).toContain('-d fc00::/7 -j DROP')
    expect(v6).toContain('-d fe80::/10 -j DROP')
    // Every IPv4 subnet of the host's own interfaces (Docker's bridges come and go with other
    // tests: they are picked up at the next sandbox's check).
    for (const i of await hostAddresses()) {
      if (i.ifname === 'lo' || /^(qsb|br-|docker|veth)/.test(i.ifname)) continue
      for (const a of i.addr_info.filter((x) => x.family === 'inet')) expect(v4, `${i.ifname} ${a.local}/${a.prefixlen}`).toContain(`-d ${network4(a.local, a.prefixlen)} -j DROP`)
    }
    // And IPv6 is off on the host's side of the sandbox's bridge: nothing there to answer.
    const bridge = `qsb${sandbox.id.slice(0, 12)}`
    expect((await run('cat', [`/proc/sys/net/ipv6/conf/${bridge}/disable_ipv6`])).stdout.trim()).toBe('1')
  })
})
