// The authoring preview's "run the solution in a fresh sandbox" on a multi-node lesson: an
// exercise whose start needs what earlier exercises did on other nodes (workers joined to the
// swarm) fails before its solution and passes after, on a real 3-node sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionUser } from '../../../lib/auth/session.server'
import { getDb } from '../../../lib/db/client.server'
import { runSolutionInFreshSandbox } from '../../../lib/authoring/run-solution.server'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'

withTestNamespace('preview')

describe('authoring preview on a multi-node lesson', () => {
  const instructor: SessionUser = { id: 'preview-prof', name: 'Prof', email: 'preview-prof@test.quai.invalid', role: 'instructor' }

  beforeAll(async () => {
    await createUser(instructor.id)
    await (await getDb()).user.update({ where: { id: instructor.id }, data: { role: 'instructor' } })
  })
  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('replays earlier exercises on the other nodes, then the exercise fails before and passes after its solution', async () => {
    const run = await runSolutionInFreshSandbox(instructor, { courseSlug: 'swarm', lessonSlug: 'creer-un-cluster', exerciseId: 'etiqueter-et-contraindre' }, 'fr')
    expect(run.solution.output).toMatch(/\[joindre-worker1 on worker1: exit 0\]/)
    expect(run.solution.output).toMatch(/\[joindre-worker2 on worker2: exit 0\]/)
    expect(run.before.passed).toBe(false)
    expect(run.solution.exitCode, run.solution.output).toBe(0)
    expect(run.after.assertions.filter((a) => !a.passed).map((a) => `${a.id}: ${a.message}`)).toEqual([])
    expect(run.ok).toBe(true)
  }, 600_000)
})
