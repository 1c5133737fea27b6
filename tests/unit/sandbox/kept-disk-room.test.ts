import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { moveFromKept } from '../../../lib/sandbox/disk-steps.server'
import { SandboxHostFullError } from '../../../lib/sandbox/types'

// Resuming a kept disk on a host that cannot back it once full (real files, a real statfs):
// the learner is told the host is full, and the disk is back in its kept folder, untouched.

const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true })
})

function keptDiskAt() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-kept-room-'))
  roots.push(root)
  const stateDir = path.join(root, 'sandboxes')
  const keptDir = path.join(root, 'sandboxes.kept', 'disk1')
  fs.mkdirSync(keptDir, { recursive: true })
  fs.writeFileSync(path.join(keptDir, 'disk.img'), 'the learner’s work')
  return { stateDir, keptDir, sandboxDir: path.join(stateDir, 'sb1') }
}

describe('a kept disk resumed', () => {
  it('goes back to its kept folder with a "host full" error when the host has no room for it', async () => {
    const { stateDir, keptDir, sandboxDir } = keptDiskAt()
    // A reserve larger than any disk here: no room, whatever is free.
    const resumed = moveFromKept(keptDir, sandboxDir, 'disk1', 4096, { stateDir, reserveMb: 1024 * 1024 * 1024 })
    await expect(resumed).rejects.toBeInstanceOf(SandboxHostFullError)
    expect(fs.readFileSync(path.join(keptDir, 'disk.img'), 'utf8')).toBe('the learner’s work')
    expect(fs.existsSync(path.join(sandboxDir, 'disk.img'))).toBe(false)
  })

  it('moves into the sandbox and leaves no kept folder when there is room', async () => {
    const { stateDir, keptDir, sandboxDir } = keptDiskAt()
    await moveFromKept(keptDir, sandboxDir, 'disk1', 4096, { stateDir, reserveMb: 0 })
    expect(fs.readFileSync(path.join(sandboxDir, 'disk.img'), 'utf8')).toBe('the learner’s work')
    expect(fs.existsSync(keptDir)).toBe(false)
  })
})
