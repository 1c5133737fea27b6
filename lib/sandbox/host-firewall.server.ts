import 'server-only'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { sh, shWithInput } from './host.server'

// The host firewall that keeps sandboxes off the host and the networks it is attached to, in
// IPv4 and IPv6. Sandbox networks have no IPv6 of their own, but a learner is root of their
// network namespace: they can turn IPv6 on, and the host's side of their bridge would answer
// on its link-local address (and route to every host address through it). So IPv6 is turned
// off on each sandbox bridge (host side, out of the learner's reach), and ip6tables holds the
// same rules as iptables in case it comes back.

export type EgressMode = 'internet' | 'none' | 'all'

const inputChain = 'QUAI-SANDBOX-INPUT'
const forwardChain = 'QUAI-SANDBOX-FORWARD'

/** Link-local (cloud metadata services), private and carrier-grade NAT ranges. */
const localRanges4 = ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']
/**
 * Link-local, unique local (ULA), the old site-local, and the prefixes that lead to IPv4
 * addresses (IPv4-mapped, NAT64 well-known and local-use, 6to4).
 */
const localRanges6 = ['fe80::/10', 'fc00::/7', 'fec0::/10', '::ffff:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '2002::/16']

export type HostSubnets = { v4: string[]; v6: string[] }

type IpAddrJson = { ifname: string; addr_info?: { family: string; local?: string; address?: string; prefixlen: number; scope?: string }[] }

/**
 * The subnets of the host's own interfaces (its LANs, whatever their range), from `ip -j addr`:
 * every IPv4 and global IPv6 address with its prefix, as a network. Loopback and the sandbox
 * bridges (a sandbox's own network) are left out.
 */
export function hostSubnetsFrom(interfaces: IpAddrJson[], bridgePrefix: string): HostSubnets {
  const v4 = new Set<string>()
  const v6 = new Set<string>()
  for (const i of interfaces) {
    if (i.ifname === 'lo' || i.ifname.startsWith(bridgePrefix)) continue
    for (const a of i.addr_info ?? []) {
      for (const ip of [a.local, a.address]) {
        if (!ip) continue
        if (a.family === 'inet' && !ip.startsWith('127.')) v4.add(network4(ip, a.prefixlen))
        if (a.family === 'inet6' && a.scope === 'global') v6.add(network6(ip, a.prefixlen))
      }
    }
  }
  return { v4: [...v4].sort(), v6: [...v6].sort() }
}

export async function readHostSubnets(bridgePrefix: string): Promise<HostSubnets> {
  return hostSubnetsFrom(JSON.parse(await sh('ip', ['-j', 'addr'])) as IpAddrJson[], bridgePrefix)
}

function network4(ip: string, bits: number): string {
  const n = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
  const size = 2 ** (32 - bits)
  const base = n - (n % size)
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${bits}`
}

function network6(ip: string, bits: number): string {
  const [head = '', tail] = ip.split('::')
  const left = head ? head.split(':') : []
  const right = tail !== undefined && tail !== '' ? tail.split(':') : []
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : 8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g, 16) || 0)
  const masked = groups.map((g, index) => {
    const keep = Math.max(0, Math.min(16, bits - index * 16))
    return keep === 16 ? g : keep === 0 ? 0 : g & (0xffff << (16 - keep)) & 0xffff
  })
  // Shortest form: the longest run of two or more zero groups becomes "::".
  let best = -1
  let bestLength = 1
  for (let i = 0; i < 8; i++) {
    let j = i
    while (j < 8 && masked[j] === 0) j++
    if (j - i > bestLength) {
      best = i
      bestLength = j - i
    }
  }
  const hex = masked.map((g) => g.toString(16))
  const text = best < 0 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`
  return `${text}/${bits}`
}

/** Whether the kernel has IPv6 (without it there is nothing to filter). */
export function hostHasIpv6(): boolean {
  return fs.existsSync('/proc/net/if_inet6')
}

export type FirewallPlan = { v4: string; v6: string | null; hash: string }

/**
 * The rules for all sandboxes (their bridges are named <prefix>*), one iptables-restore text
 * per family:
 *  - INPUT: new connections from a sandbox to the host itself are dropped (replies to
 *    connections the host opened, like the port proxy's, pass);
 *  - FORWARD (IPv4 through Docker's DOCKER-USER chain, IPv6 from FORWARD): what a sandbox may
 *    reach beyond its own network. "internet": anything but link-local (cloud metadata),
 *    private, CGNAT and ULA ranges and the subnets of the host's own interfaces, except the
 *    DNS servers given; "none": nothing; "all": no restriction.
 * Traffic between two sandbox bridges is dropped by Docker's own isolation chains. Each chain
 * starts with a comment naming the hash of the whole plan, so a later check can tell whether
 * the rules in place are these (host addresses change, another instance may have rebuilt them).
 */
export function planHostFirewall(prefix: string, egress: EgressMode, dnsServers: string[], subnets: HostSubnets, ipv6: boolean): FirewallPlan {
  const iface = `${prefix}+`
  const forward = (ranges: string[], dns: string[]) => [
    '-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN',
    `-o ${iface} -j RETURN`,
    ...(egress === 'all' ? [] : dns.flatMap((server) => ['udp', 'tcp'].map((proto) => `-d ${server} -p ${proto} --dport 53 -j RETURN`))),
    ...(egress === 'none' ? ['-j DROP'] : egress === 'internet' ? [...new Set(ranges)].map((range) => `-d ${range} -j DROP`) : []),
  ]
  const table = (forwardRules: string[], marker: string) =>
    [
      '*filter',
      `:${inputChain} - [0:0]`,
      `:${forwardChain} - [0:0]`,
      `-A ${inputChain} ${marker}`,
      `-A ${inputChain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
      `-A ${inputChain} -j DROP`,
      `-A ${forwardChain} ${marker}`,
      ...forwardRules.map((rule) => `-A ${forwardChain} ${rule}`),
      'COMMIT',
      '',
    ].join('\n')
  const rules4 = forward([...localRanges4, ...subnets.v4], dnsServers.filter((d) => !d.includes(':')))
  const rules6 = ipv6 ? forward([...localRanges6, ...subnets.v6], dnsServers.filter((d) => d.includes(':'))) : null
  const hash = createHash('sha256')
    .update(JSON.stringify([prefix, rules4, rules6]))
    .digest('hex')
    .slice(0, 16)
  const marker = `-m comment --comment quai-rules-${hash}`
  return { v4: table(rules4, marker), v6: rules6 ? table(rules6, marker) : null, hash }
}

/** Whether `iptables-save` output holds this plan and the jumps into it. */
function inPlace(saved: string, prefix: string, hash: string, forwardFrom: string): boolean {
  const lines = saved.split('\n').map((l) => l.trim())
  const jump = (from: string, chain: string) => lines.some((l) => l.startsWith(`-A ${from} `) && l.includes(`-i ${prefix}+ `) && l.endsWith(`-j ${chain}`))
  const markers = lines.filter((l) => l.includes(`quai-rules-${hash}`)).length
  return markers === 2 && jump('INPUT', inputChain) && jump(forwardFrom, forwardChain)
}

async function ensureJump(tool: string, chain: string, from: string, prefix: string) {
  const match = ['-i', `${prefix}+`, '-j', chain]
  try {
    await sh(tool, ['-w', '-C', from, ...match])
  } catch {
    await sh(tool, ['-w', '-I', from, '1', ...match])
  }
}

async function install(family: 4 | 6, rules: string, prefix: string): Promise<void> {
  const tool = family === 4 ? 'iptables' : 'ip6tables'
  // One iptables-restore transaction: the chains are declared (so flushed) and refilled at
  // once. Built rule by rule, two servers (or test files) starting together could interleave
  // their flushes and appends, leaving a DROP ahead of the rule that lets a sandbox reach its
  // own network (and the registry mirror on it).
  await shWithInput(`${tool}-restore`, ['-w', '--noflush'], rules)
  await ensureJump(tool, inputChain, 'INPUT', prefix)
  if (family === 4) {
    await sh(tool, ['-w', '-N', 'DOCKER-USER']).catch(() => undefined)
    await ensureJump(tool, forwardChain, 'DOCKER-USER', prefix)
  } else {
    // Docker 20.10 leaves ip6tables alone (no DOCKER-USER there): straight from FORWARD.
    await ensureJump(tool, forwardChain, 'FORWARD', prefix)
  }
}

const inFlight = new Map<string, Promise<{ changed: boolean }>>()

/**
 * Install the host firewall unless the rules in place are already this plan (computed from
 * the host's current addresses). Cheap when nothing changed (`ip -j addr` and one
 * `iptables-save` per family): called when the placement is prepared and before each sandbox
 * is created. Throws when a rule cannot be installed (iptables or ip6tables missing, not root).
 */
export function ensureHostFirewall(prefix: string, egress: EgressMode, dnsServers: string[]): Promise<{ changed: boolean }> {
  const key = JSON.stringify([prefix, egress, dnsServers])
  let pending = inFlight.get(key)
  if (!pending) {
    pending = applyHostFirewall(prefix, egress, dnsServers).finally(() => inFlight.delete(key))
    inFlight.set(key, pending)
  }
  return pending
}

async function applyHostFirewall(prefix: string, egress: EgressMode, dnsServers: string[]): Promise<{ changed: boolean }> {
  const ipv6 = hostHasIpv6()
  const plan = planHostFirewall(prefix, egress, dnsServers, await readHostSubnets(prefix), ipv6)
  const [saved4, saved6] = await Promise.all([sh('iptables-save', ['-t', 'filter']), plan.v6 ? sh('ip6tables-save', ['-t', 'filter']) : Promise.resolve('')])
  const need4 = !inPlace(saved4, prefix, plan.hash, 'DOCKER-USER')
  const need6 = plan.v6 !== null && !inPlace(saved6, prefix, plan.hash, 'FORWARD')
  if (need4) await install(4, plan.v4, prefix)
  if (need6 && plan.v6) await install(6, plan.v6, prefix)
  return { changed: need4 || need6 }
}

/**
 * Turn IPv6 off on the host's side of a sandbox bridge: the kernel then drops every IPv6
 * packet arriving there (no link-local address to answer on, nothing routed). A host sysctl:
 * root inside the sandbox, who owns only their own network namespace, cannot turn it back on.
 */
export async function disableBridgeIpv6(bridge: string): Promise<void> {
  if (!hostHasIpv6()) return
  await fsp.writeFile(`/proc/sys/net/ipv6/conf/${bridge}/disable_ipv6`, '1')
}
