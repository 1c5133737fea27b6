import { describe, expect, it } from 'vitest'
import { assertionMessageWithOutputs } from '../../../lib/classes/dashboard.server'

// The class dashboard's most-failed list reads a stored run's assertion in the instructor's
// language: the tool's failure as its cause, and the raw output apart, for a disclosure.
describe('failing assertions on the class dashboard', () => {
  const curlOutput = 'curl: (7) Failed to connect to localhost port 8081 after 0 ms: Couldn\'t connect to server'
  const stored = { id: 'http:get', check: 0, passed: false, key: 'http.error', params: { method: 'GET', url: 'http://localhost:8081/', where: { key: 'http.fromNode', params: { node: 'node1' } }, error: curlOutput } }

  it("tells curl's failure as its cause and keeps curl's line apart", () => {
    const fr = assertionMessageWithOutputs(stored, 'http:get', 'fr')
    expect(fr.message).toMatch(/^GET http:\/\/localhost:8081\/ depuis node1 a échoué : rien ne répond sur localhost, port 8081/)
    expect(fr.message).not.toContain('curl:')
    expect(fr.outputs).toEqual([curlOutput])
    expect(assertionMessageWithOutputs(stored, 'http:get', 'en').message).toMatch(/^GET http:\/\/localhost:8081\/ from node1 failed: nothing answers on localhost port 8081/)
  })

  it('shows the assertion id for a sample it cannot read', () => {
    expect(assertionMessageWithOutputs({ nope: true }, 'http:get', 'fr')).toEqual({ message: 'http:get', outputs: [] })
  })
})
