import { describe, expect, it } from 'vitest'
import {
  diagnoseDockerError,
  DockerMissingError,
  DockerNotRunningError,
  DockerPermissionError,
  ImageMissingError,
  PrivilegedRefusedError,
} from '../../../lib/docker/diagnose.server'
import { randomSubnet } from '../../../lib/sandbox/host.server'
import { sandboxSeccompProfile } from '../../../lib/sandbox/seccomp'
import {
  layoutFromKey,
  layoutKey,
  SandboxCapacityError,
  sandboxErrorMessage,
  SandboxNotRunningError,
  SandboxNotYoursError,
  sandboxLayoutSchema,
  SandboxRateLimitError,
  swarmLayout,
  type SandboxErrorCode,
} from '../../../lib/sandbox/types'

describe('sandbox error messages', () => {
  it('says "full, try again in N minutes" in both languages', () => {
    const e = new SandboxCapacityError(7)
    expect(e.message).toBe('All sandboxes are in use right now. Try again in 7 minutes.')
    expect(e.toJSON()).toEqual({
      code: 'sandbox.capacity_full',
      params: { retryAfterMinutes: 7 },
      message: {
        en: 'All sandboxes are in use right now. Try again in 7 minutes.',
        fr: 'Tous les bacs à sable sont occupés pour le moment. Réessayez dans 7 minutes.',
      },
    })
    expect(e.status).toBe(503)
    expect(e.retryAfterMinutes).toBe(7)
  })

  it('gives the rate limit and when to retry, in seconds or minutes', () => {
    const soon = new SandboxRateLimitError(42, 10)
    expect(soon.message).toBe('You have started 10 sandboxes in the last hour, the most allowed. Try again in 42 s.')
    expect(sandboxErrorMessage('sandbox.rate_limited', { retryAfterSeconds: 600, limit: 10 }, 'fr')).toBe(
      'Vous avez démarré 10 bacs à sable dans la dernière heure, le maximum permis. Réessayez dans 10 min.',
    )
    expect(soon.status).toBe(429)
    expect(soon.retryAfterSeconds).toBe(42)
  })

  it('has a message in both languages for every code', () => {
    const codes: SandboxErrorCode[] = [
      'sandbox.capacity_full',
      'sandbox.rate_limited',
      'sandbox.not_found',
      'sandbox.not_yours',
      'sandbox.not_running',
      'sandbox.node_not_found',
      'sandbox.start_failed',
      'sandbox.unavailable',
    ]
    const params = { retryAfterMinutes: 2, retryAfterSeconds: 30, limit: 5, status: 'ended', node: 'worker1', reason: 'x' }
    for (const code of codes) {
      for (const locale of ['en', 'fr'] as const) {
        const text = sandboxErrorMessage(code, params, locale)
        expect(text.length).toBeGreaterThan(10)
        expect(text).not.toMatch(/undefined|\{|\}/)
      }
    }
    expect(new SandboxNotRunningError('ended').toJSON().message.fr).toBe('Ce bac à sable est terminé, il ne tourne plus. Rouvrez la leçon pour en obtenir un nouveau.')
    expect(new SandboxNotYoursError().status).toBe(403)
  })
})

describe('Docker setup problems', () => {
  it('says Docker is missing or not running, with the command that fixes it', () => {
    const refused = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' })
    const e = diagnoseDockerError(refused, { socketPath: '/var/run/docker.sock' })
    // This machine has Docker installed: not running is the diagnosis.
    expect(e).toBeInstanceOf(DockerNotRunningError)
    expect((e as Error).message).toContain('dockerd > /var/log/dockerd.log 2>&1 &')
    expect(new DockerMissingError().message).toContain('apt-get install -y docker.io')
  })

  it('says when the socket is not ours to use', () => {
    const e = diagnoseDockerError(Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' }))
    expect(e).toBeInstanceOf(DockerPermissionError)
    expect((e as DockerPermissionError).fix).toContain('usermod -aG docker')
  })

  it('recognises a refused --privileged and says Quai falls back', () => {
    const e = diagnoseDockerError(
      Object.assign(new Error('(HTTP code 500) server error - OCI runtime create failed: unable to apply caps: operation not permitted'), { statusCode: 500 }),
    )
    expect(e).toBeInstanceOf(PrivilegedRefusedError)
    expect((e as Error).message).toContain('falls back')
  })

  it('says which image is not built and how to build it', () => {
    const e = diagnoseDockerError(Object.assign(new Error('(HTTP code 404) no such container - No such image: quai/sandbox:latest'), { statusCode: 404 }), {
      image: 'quai/sandbox:latest',
    })
    expect(e).toBeInstanceOf(ImageMissingError)
    expect((e as Error).message).toBe('the image quai/sandbox:latest is not built on this Docker engine. Fix: npm run images:build')
  })

  it('leaves other errors alone', () => {
    const other = Object.assign(new Error('(HTTP code 409) conflict - name in use'), { statusCode: 409 })
    expect(diagnoseDockerError(other)).toBe(other)
  })
})

describe('layouts, subnets, seccomp', () => {
  it('keys layouts, "single" for the default', () => {
    expect(layoutKey({ nodes: [{ name: 'node1', role: 'standalone' }] })).toBe('single')
    expect(layoutKey(swarmLayout)).toBe('manager=manager,worker1=worker,worker2=worker')
    expect(layoutFromKey(layoutKey(swarmLayout))).toEqual(swarmLayout)
    expect(layoutFromKey('single').nodes).toEqual([{ name: 'node1', role: 'standalone' }])
  })

  it('refuses bad layouts', () => {
    expect(sandboxLayoutSchema.safeParse({ nodes: [] }).success).toBe(false)
    expect(sandboxLayoutSchema.safeParse({ nodes: [{ name: 'Node 1', role: 'standalone' }] }).success).toBe(false)
    expect(sandboxLayoutSchema.safeParse({ nodes: [{ name: 'a', role: 'worker' }, { name: 'a', role: 'worker' }] }).success).toBe(false)
    expect(sandboxLayoutSchema.safeParse({ nodes: [{ name: 'quai-registry', role: 'standalone' }] }).success).toBe(false)
  })

  it('picks aligned /28 subnets inside the pool', () => {
    for (let i = 0; i < 200; i++) {
      const { subnet, base } = randomSubnet('10.213.0.0/16')
      expect(subnet).toMatch(/^10\.213\.\d+\.\d+\/28$/)
      expect(base % 16).toBe(0)
    }
  })

  it('denies module loading, kexec and open_by_handle_at; keyring calls answer ENOSYS', () => {
    const profile = JSON.parse(sandboxSeccompProfile({ cgroupVersion: 1 })) as { defaultAction: string; syscalls: { names: string[]; errnoRet: number }[] }
    expect(profile.defaultAction).toBe('SCMP_ACT_ALLOW')
    const denied = profile.syscalls[0]!
    for (const s of ['init_module', 'finit_module', 'kexec_load', 'open_by_handle_at', 'bpf', 'userfaultfd', 'io_uring_setup']) expect(denied.names).toContain(s)
    expect(denied.names).not.toContain('mount')
    expect(denied.names).not.toContain('pivot_root')
    expect(profile.syscalls[1]).toMatchObject({ names: ['keyctl', 'add_key', 'request_key'], errnoRet: 38 })
    // cgroup v2 device rules need BPF in the inner runc.
    expect(JSON.parse(sandboxSeccompProfile({ cgroupVersion: 2 })).syscalls[0].names).not.toContain('bpf')
  })
})
