import { describe, expect, test } from 'vitest'
import { composeProjectQuery } from '../../../lib/checks/evaluate/compose'
import { checkLimits, clipText } from '../../../lib/checks/limits'
import { commandProbe, fileReadCommand, parseFileRead, parseHttp } from '../../../lib/checks/probes'
import { byId, container, evaluate, facts } from './helpers'

// What a check reads of learner-controlled text is bounded (lib/checks/limits.ts), and a failed
// line says when only the beginning was checked.

const MiB = 1024 * 1024

describe('clipText', () => {
  test('keeps short text, cuts long text at a byte count without splitting a character', () => {
    expect(clipText('abc', 3)).toEqual({ text: 'abc', truncated: false })
    expect(clipText('abcd', 3)).toEqual({ text: 'abc', truncated: true })
    // "é" is two bytes in UTF-8: 3 bytes hold "a" and "é", not half of the second "é".
    expect(clipText('aéé', 4)).toEqual({ text: 'aé', truncated: true })
    expect(clipText('aéé', 5)).toEqual({ text: 'aéé', truncated: false })
  })
})

describe('limits on what a check reads', () => {
  test('the limits fit inside what an exec carries', () => {
    const largest = Math.max(checkLimits.commandOutputBytes, checkLimits.fileBytes, checkLimits.composeFilesBytes, checkLimits.httpBodyBytes)
    expect(checkLimits.execOutputBytes).toBeGreaterThan(largest)
    expect(largest).toBeLessThanOrEqual(MiB)
  })

  test('a command check keeps 1 MiB of each stream, and a failed line says the output was cut', () => {
    const probe = commandProbe(0, `${'x'.repeat(2 * MiB)}\nfini\n`, 'e'.repeat(2 * MiB))
    expect(probe.stdout.length).toBe(checkLimits.commandOutputBytes)
    expect(probe.stderr.length).toBe(checkLimits.commandOutputBytes)
    expect(probe.stdoutTruncated).toBe(true)
    const line = byId(evaluate({ kind: 'command', run: 'yes x | head', stdout: { matches: 'fini' } }, facts({ probes: [['0', { kind: 'command', ...probe }]] })), 'command:0:stdout')
    expect(line.passed).toBe(false)
    expect(line.fr).toMatch(/\[coupé après 1 Mio : seul ce début a été vérifié\]\)$/)
    expect(line.en).toMatch(/\[cut after 1 MiB: only this beginning was checked\]\)$/)
    expect(commandProbe(0, 'ok\n', '').stdoutTruncated).toBeUndefined()
  })

  test('an HTTP body is cut at 1 MiB, and the message says so', () => {
    const probe = parseHttp(0, `curl\nHTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n${'a'.repeat(MiB)}fin`, '')
    expect(probe).toMatchObject({ outcome: 'done', status: 200, bodyTruncated: true })
    const body = probe.outcome === 'done' ? probe.body : ''
    expect(body.length).toBe(checkLimits.httpBodyBytes)
    const line = byId(evaluate({ kind: 'http', url: 'http://web/', body: { contains: 'fin' } }, facts({ probes: [['0', { kind: 'http', ...probe }]] })), 'http:node1:http://web/:body')
    expect(line.fr).toMatch(/coupé après 1 Mio/)
  })

  test('a file over 1 MiB is not read, even one that grew after its size was taken', () => {
    expect(fileReadCommand('f')).toContain(`head -c ${checkLimits.fileBytes + 1} --`)
    expect(parseFileRead(`__QUAI_FILE__ ${2 * MiB} 1.0\n`)).toEqual({ outcome: 'too-large', bytes: 2 * MiB })
    expect(parseFileRead(`__QUAI_FILE__ 10 1.0\n${'a'.repeat(MiB + 1)}`)).toMatchObject({ outcome: 'too-large' })
    expect(parseFileRead(`__QUAI_FILE__ 3 1.0\nabc`)).toEqual({ outcome: 'read', content: 'abc', mtime: 1 })
  })

  test('Compose files beyond the limit are reported as such', () => {
    const f = facts({
      containers: [container('shop-api-1')],
      labelQueries: [[composeProjectQuery('shop'), ['shop-api-1']]],
      probes: [['0:compose-file', { kind: 'file', outcome: 'too-large', bytes: checkLimits.composeFilesBytes + 1 }]],
    })
    const line = byId(evaluate({ kind: 'compose', project: 'shop', profiles: { debug: ['debug'] } }, f), 'compose:shop:profile:debug:debug')
    expect(line.fr).toBe('le fichier Compose du projet shop est introuvable ou illisible (plus de 1 Mio)')
  })
})
