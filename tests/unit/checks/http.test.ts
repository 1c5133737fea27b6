import { expect, test } from 'vitest'
import { CheckError, CheckTimeoutError, DaemonUnavailableError, UnknownExerciseError } from '../../../lib/checks/errors'
import { checkRequestSchema, hintRequestSchema } from '../../../lib/checks/api'
import { ApiError, readJson, apiErrorOf } from '../../../lib/http/api.server'
import { HintError } from '../../../lib/progress/exercises.server'

// How the exercise routes answer: each error of the checks as a status with a stable code.

test('check errors map to clear HTTP answers', () => {
  const status = (e: unknown) => {
    const mapped = apiErrorOf(e) as ApiError
    return [mapped.status, mapped.code]
  }
  expect(status(new UnknownExerciseError('c', 'l', 'x'))).toEqual([404, 'unknown_exercise'])
  expect(status(new CheckError('sandbox_forbidden', 'not yours'))).toEqual([403, 'sandbox_forbidden'])
  expect(status(new CheckError('sandbox_not_running', 'stopped'))).toEqual([409, 'sandbox_not_running'])
  expect(status(new DaemonUnavailableError('node1'))).toEqual([503, 'daemon_unavailable'])
  expect(status(new CheckTimeoutError(20, ['network x']))).toEqual([504, 'check_timeout'])
  expect(status(new HintError('hint_out_of_order', 'reveal hint 1 first', { next: 0 }))).toEqual([409, 'hint_out_of_order'])
  expect(status(new HintError('no_such_hint', 'no hint 4', { total: 3 }))).toEqual([404, 'no_such_hint'])
  const other = new Error('boom')
  expect(apiErrorOf(other)).toBe(other)
})

test('a bad body is a 422 naming the fields', async () => {
  const request = (body: unknown) => new Request('http://quai.test/api/exercises/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const error = await readJson(request({ sandboxId: 'sbx 1', courseSlug: 'Reseaux', lessonSlug: 'x', extra: 1 }), checkRequestSchema).catch((e: ApiError) => e)
  expect(error).toBeInstanceOf(ApiError)
  expect((error as ApiError).status).toBe(422)
  expect((error as ApiError).message).toBe('invalid input: courseSlug, exerciseId, sandboxId, extra')
  const hint = await readJson(request({ courseSlug: 'c', lessonSlug: 'l', exerciseId: 'e', index: -1 }), hintRequestSchema).catch((e: ApiError) => e)
  expect((hint as ApiError).message).toBe('invalid input: index')
  await expect(readJson(request({ sandboxId: 'sbx1', courseSlug: 'c', lessonSlug: 'l', exerciseId: 'e' }), checkRequestSchema)).resolves.toEqual({ sandboxId: 'sbx1', courseSlug: 'c', lessonSlug: 'l', exerciseId: 'e' })
})
