import { expect, test } from 'vitest'
import { z } from 'zod'
import { AuthError } from '../../../lib/auth/session.server'
import { sandboxCheckError, CheckError } from '../../../lib/checks/errors'
import { ClassError } from '../../../lib/classes/errors'
import { HostSetupError } from '../../../lib/docker/diagnose.server'
import { DaemonAnswerTooLargeError } from '../../../lib/docker/daemon-read.server'
import { ApiError, apiErrorResponse, apiErrorOf, upgradeRefusal } from '../../../lib/http/api.server'
import { QuizBusyError, QuizClosedError } from '../../../lib/quiz/attempts.server'
import { QuizSubmissionError } from '../../../lib/quiz/grade.server'
import {
  SandboxCapacityError,
  SandboxHostFullError,
  SandboxNodeDiedError,
  SandboxNodeNotFoundError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxNotYoursError,
  SandboxRateLimitError,
  SandboxStartError,
  SandboxUnavailableError,
} from '../../../lib/sandbox/types'
import { FileRefusal } from '../../../lib/workspace/files.server'

// One error contract: whatever a route throws becomes { error: { code, message, ...details } }
// with its status, in one place (lib/http/api.server.ts).

const answer = (error: unknown) => {
  const api = apiErrorOf(error)
  if (!(api instanceof ApiError)) throw new Error(`not mapped: ${String(error)}`)
  return { status: api.status, code: api.code, ...api.details }
}

test('lib/sandbox refusals answer with the workspace codes', () => {
  expect(answer(new SandboxCapacityError(2))).toEqual({ status: 503, code: 'capacity_full', retryAfterSeconds: 120 })
  expect(answer(new SandboxRateLimitError(30, 5))).toEqual({ status: 429, code: 'rate_limited', retryAfterSeconds: 30 })
  expect(answer(new SandboxNotFoundError())).toEqual({ status: 404, code: 'sandbox_not_found' })
  expect(answer(new SandboxNotYoursError())).toEqual({ status: 403, code: 'sandbox_forbidden' })
  expect(answer(new SandboxNotRunningError('ended'))).toEqual({ status: 409, code: 'sandbox_not_running' })
  expect(answer(new SandboxNodeNotFoundError('node9'))).toEqual({ status: 404, code: 'node_not_found' })
  expect(answer(new SandboxNodeDiedError('node1', 'node_died'))).toEqual({ status: 409, code: 'node_died' })
  expect(answer(new SandboxHostFullError(100, 10, 'free some space'))).toEqual({ status: 503, code: 'host_full', fix: 'free some space' })
  expect(answer(new SandboxStartError('boom'))).toEqual({ status: 500, code: 'start_failed' })
  // A start that failed for a reason of its own answers with that reason.
  expect(answer(new SandboxStartError('disk', new SandboxHostFullError(1, 0, 'df -h')))).toMatchObject({ status: 503, code: 'host_full' })
  // Docker problems carry their fix, found down the cause chain.
  const problem = new HostSetupError('no cgroup v2', 'run scripts/host-setup.sh')
  expect(answer(new SandboxUnavailableError('docker', problem))).toEqual({ status: 503, code: problem.code, fix: problem.fix })
  expect(answer(new SandboxUnavailableError('docker'))).toEqual({ status: 503, code: 'docker_unavailable' })
})

test('domain errors are ApiErrors with their own status and code', () => {
  expect(answer(new ClassError('class_archived', 'archived'))).toEqual({ status: 409, code: 'class_archived' })
  expect(answer(new FileRefusal(409, 'conflict', 'changed'))).toEqual({ status: 409, code: 'conflict' })
  expect(answer(new QuizClosedError(3, 3))).toEqual({ status: 409, code: 'quiz_closed', attempts: 3, maxAttempts: 3 })
  expect(answer(new QuizBusyError())).toEqual({ status: 409, code: 'quiz_busy' })
  expect(answer(new QuizSubmissionError('answers.q1', 'expected one choice id'))).toEqual({
    status: 422,
    code: 'invalid_answer',
    fields: [{ field: 'answers.q1', message: 'expected one choice id' }],
  })
  expect(answer(new AuthError(401, 'sign in'))).toEqual({ status: 401, code: 'unauthenticated' })
  expect(answer(new AuthError(403, 'no'))).toEqual({ status: 403, code: 'forbidden' })
  expect(answer(new DaemonAnswerTooLargeError('containers', 1024))).toEqual({ status: 422, code: 'daemon_answer_too_large' })
  const zod = z.object({ name: z.string() }).safeParse({})
  expect(answer(zod.error)).toMatchObject({ status: 422, code: 'invalid_input', fields: [{ field: 'name' }] })
})

test('the checks read lib/sandbox refusals in their own terms', () => {
  const checkAnswer = (error: Parameters<typeof sandboxCheckError>[0]) => {
    const e = sandboxCheckError(error)
    return [e.status, e.code]
  }
  expect(checkAnswer(new SandboxNotFoundError())).toEqual([409, 'sandbox_not_running'])
  expect(checkAnswer(new SandboxNotYoursError())).toEqual([403, 'sandbox_forbidden'])
  expect(checkAnswer(new SandboxNodeNotFoundError('x'))).toEqual([409, 'sandbox_not_running'])
  expect(checkAnswer(new SandboxNodeDiedError('node1', 'node_out_of_memory'))).toEqual([409, 'sandbox_node_died'])
  expect(checkAnswer(new SandboxUnavailableError('gone'))).toEqual([503, 'daemon_unavailable'])
  expect(sandboxCheckError(new SandboxNotFoundError())).toBeInstanceOf(CheckError)
})

test('one JSON body for every refusal, and a 500 that says nothing for the unexpected', async () => {
  const refused = apiErrorResponse(new ClassError('too_many_attempts', 'slow down', { retryAfterSeconds: 60 }))
  expect(refused.status).toBe(429)
  expect(await refused.json()).toEqual({ error: { code: 'too_many_attempts', message: 'slow down', retryAfterSeconds: 60 } })
  const unexpected = new Error('secret detail')
  expect(apiErrorOf(unexpected)).toBe(unexpected)
  const original = console.error
  console.error = () => {}
  try {
    const response = apiErrorResponse(unexpected)
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: { code: 'internal', message: 'internal error; nothing was saved half-way' } })
  } finally {
    console.error = original
  }
})

test('a refused WebSocket upgrade says the same as the JSON answer', () => {
  expect(upgradeRefusal(new SandboxNotRunningError('ended'))).toEqual({ status: 409, reason: `Conflict (sandbox_not_running): ${new SandboxNotRunningError('ended').message}` })
  expect(upgradeRefusal(new ApiError(403, 'cross_origin', 'refused'))).toEqual({ status: 403, reason: 'Forbidden (cross_origin): refused' })
  expect(upgradeRefusal(new ApiError(418, 'teapot', 'short and stout'))).toEqual({ status: 418, reason: 'Error (teapot): short and stout' })
  expect(upgradeRefusal(new Error('unexpected'))).toBeNull()
})
