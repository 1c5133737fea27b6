import { describe, expect, it } from 'vitest'
import { parseSandboxConfig, SandboxConfigError } from '../../../lib/sandbox/config.server'

describe('sandbox configuration', () => {
  it('has defaults for a small class on one machine', () => {
    const c = parseSandboxConfig({})
    expect(c).toMatchObject({
      namespace: 'quai',
      idleMinutes: 30,
      maxMinutes: 240,
      maxConcurrent: 20,
      createsPerHour: 10,
      memoryMb: 1536,
      cpus: 1,
      pids: 1024,
      diskMb: 4096,
      poolSize: 0,
      isolation: 'auto',
      disk: 'auto',
      image: 'quai/sandbox:latest',
      stateDir: '/var/lib/quai/sandboxes',
      runDir: '/run/quai/sandboxes',
      cgroupParent: 'quai',
      subnetPool: '10.213.0.0/16',
      uidBase: 100000,
      blockHost: true,
      egress: 'internet',
      dns: null,
    })
  })

  it('reads every variable, trimming and converting', () => {
    const c = parseSandboxConfig({
      QUAI_SANDBOX_IDLE_MINUTES: ' 15 ',
      QUAI_SANDBOX_MAX_MINUTES: '90',
      QUAI_SANDBOX_MAX_CONCURRENT: '40',
      QUAI_SANDBOX_CREATES_PER_HOUR: '5',
      QUAI_SANDBOX_MEMORY_MB: '2048',
      QUAI_SANDBOX_CPUS: '1.5',
      QUAI_SANDBOX_PIDS: '2048',
      QUAI_SANDBOX_DISK_MB: '8192',
      QUAI_SANDBOX_POOL_SIZE: '3',
      QUAI_SANDBOX_ISOLATION: 'caps',
      QUAI_SANDBOX_DISK: 'dir',
      QUAI_SANDBOX_BLOCK_HOST: 'false',
      QUAI_SANDBOX_EGRESS: 'none',
      QUAI_SANDBOX_DNS: '1.1.1.1, 9.9.9.9',
      QUAI_SANDBOX_INSECURE_REGISTRIES: 'registry.lan:5000,10.0.0.5:5000',
    })
    expect(c).toMatchObject({
      idleMinutes: 15,
      maxMinutes: 90,
      maxConcurrent: 40,
      createsPerHour: 5,
      memoryMb: 2048,
      cpus: 1.5,
      pids: 2048,
      diskMb: 8192,
      poolSize: 3,
      isolation: 'caps',
      disk: 'dir',
      blockHost: false,
      egress: 'none',
      dns: ['1.1.1.1', '9.9.9.9'],
      insecureRegistries: ['registry.lan:5000', '10.0.0.5:5000'],
    })
  })

  it('derives folders and the cgroup parent from the namespace', () => {
    const c = parseSandboxConfig({ QUAI_SANDBOX_NAMESPACE: 'staging' })
    expect(c.stateDir).toBe('/var/lib/staging/sandboxes')
    expect(c.runDir).toBe('/run/staging/sandboxes')
    expect(c.cgroupParent).toBe('staging')
    expect(parseSandboxConfig({ QUAI_SANDBOX_NAMESPACE: 'staging', QUAI_SANDBOX_STATE_DIR: '/srv/sb/' }).stateDir).toBe('/srv/sb')
  })

  it('an empty value means the default', () => {
    expect(parseSandboxConfig({ QUAI_SANDBOX_MEMORY_MB: '' }).memoryMb).toBe(1536)
    expect(parseSandboxConfig({ QUAI_SANDBOX_DNS: '' }).dns).toBeNull()
  })

  it.each([
    ['QUAI_SANDBOX_MEMORY_MB', 'lots', /QUAI_SANDBOX_MEMORY_MB="lots"/],
    ['QUAI_SANDBOX_MEMORY_MB', '64', /QUAI_SANDBOX_MEMORY_MB="64": .*256/],
    ['QUAI_SANDBOX_IDLE_MINUTES', '0', /QUAI_SANDBOX_IDLE_MINUTES="0"/],
    ['QUAI_SANDBOX_ISOLATION', 'docker', /QUAI_SANDBOX_ISOLATION="docker": .*userns/],
    ['QUAI_SANDBOX_BLOCK_HOST', 'maybe', /QUAI_SANDBOX_BLOCK_HOST="maybe": expected true or false/],
    ['QUAI_SANDBOX_SUBNET_POOL', '10.0.0.0/30', /QUAI_SANDBOX_SUBNET_POOL="10.0.0.0\/30": expected an IPv4 CIDR/],
    ['QUAI_SANDBOX_STATE_DIR', 'relative/path', /QUAI_SANDBOX_STATE_DIR="relative\/path"/],
    ['QUAI_SANDBOX_DNS', 'dns.example', /QUAI_SANDBOX_DNS="dns.example": expected comma-separated IPv4/],
    ['QUAI_SANDBOX_NAMESPACE', 'Quai Prod', /QUAI_SANDBOX_NAMESPACE="Quai Prod"/],
  ])('names the variable in the error: %s=%s', (key, value, message) => {
    expect(() => parseSandboxConfig({ [key]: value })).toThrow(SandboxConfigError)
    expect(() => parseSandboxConfig({ [key]: value })).toThrow(message)
  })

  it('reports every bad variable at once', () => {
    expect(() => parseSandboxConfig({ QUAI_SANDBOX_PIDS: '1', QUAI_SANDBOX_CPUS: '0' })).toThrow(/settings: .*QUAI_SANDBOX_CPUS.*; .*QUAI_SANDBOX_PIDS|settings: .*QUAI_SANDBOX_PIDS.*; .*QUAI_SANDBOX_CPUS/)
  })
})
