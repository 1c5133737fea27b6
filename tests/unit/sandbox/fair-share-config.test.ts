import { describe, expect, it } from 'vitest'
import { parseSandboxConfig, SandboxConfigError } from '../../../lib/sandbox/config.server'
import { cpuWeightToShares } from '../../../lib/sandbox/host.server'

describe('fair share settings', () => {
  it('weighs all sandboxes together at a quarter of a host process, and limits each disk, by default', () => {
    const c = parseSandboxConfig({})
    expect(c.sandboxesCpuWeight).toBe(25)
    expect(c.diskIo).toEqual({ readBps: 200 * 1024 * 1024, writeBps: 100 * 1024 * 1024, readIops: 4000, writeIops: 2000 })
  })

  it('reads the variables, 0 turning a disk limit off', () => {
    const c = parseSandboxConfig({
      QUAI_SANDBOX_PARENT_CPU_WEIGHT: '50',
      QUAI_SANDBOX_DISK_READ_MBPS: '0',
      QUAI_SANDBOX_DISK_WRITE_MBPS: '8',
      QUAI_SANDBOX_DISK_READ_IOPS: '0',
      QUAI_SANDBOX_DISK_WRITE_IOPS: '100',
    })
    expect(c.sandboxesCpuWeight).toBe(50)
    expect(c.diskIo).toEqual({ readBps: 0, writeBps: 8 * 1024 * 1024, readIops: 0, writeIops: 100 })
  })

  it('refuses a weight outside cgroup v2 bounds and a negative bandwidth, naming the variable', () => {
    expect(() => parseSandboxConfig({ QUAI_SANDBOX_PARENT_CPU_WEIGHT: '0' })).toThrow(/QUAI_SANDBOX_PARENT_CPU_WEIGHT/)
    expect(() => parseSandboxConfig({ QUAI_SANDBOX_PARENT_CPU_WEIGHT: '10001' })).toThrow(SandboxConfigError)
    expect(() => parseSandboxConfig({ QUAI_SANDBOX_DISK_WRITE_MBPS: '-1' })).toThrow(/QUAI_SANDBOX_DISK_WRITE_MBPS/)
  })

  it('maps cgroup v2 weights to v1 shares as systemd does (100 -> 1024), within v1 bounds', () => {
    expect(cpuWeightToShares(100)).toBe(1024)
    expect(cpuWeightToShares(25)).toBe(256)
    expect(cpuWeightToShares(1)).toBe(10)
    expect(cpuWeightToShares(10_000)).toBe(102_400)
  })
})
