import { beforeAll, describe, expect, it } from 'vitest'
import { resetEnvForTests } from '@/lib/env.server'
import { setAuthEnvironmentBeforeAll } from '../../support/auth-env'

// Sign-in limits through better-auth's real handler, as the custom server feeds it: each request
// carries the address server.ts stamped (x-quai-client-address). The forged-header case, which
// needs server.ts itself, is in tests/e2e/security/accounts.spec.ts.
const appUrl = 'http://localhost:3998'

setAuthEnvironmentBeforeAll(appUrl, 'on')

const freshAuth = async () => {
  delete (globalThis as { quaiAuth?: unknown }).quaiAuth
  resetEnvForTests()
  return (await import('@/lib/auth/auth.server')).getAuth()
}

async function call(path: string, body: unknown, address: string): Promise<Response> {
  const auth = await (await import('@/lib/auth/auth.server')).getAuth()
  return auth.handler(
    new Request(`${appUrl}/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: appUrl, 'x-quai-client-address': address },
      body: JSON.stringify(body),
    }),
  )
}

const school = '203.0.113.7'
const account = (name: string) => ({ name, email: `${name}@limits.quai.test`, password: `${name}-password` })
const signIn = (a: { email: string; password: string }, address = school, password = a.password) => call('/sign-in/email', { email: a.email, password }, address)

describe('sign-in limits, per account and address', () => {
  const students = Array.from({ length: 30 }, (_, i) => account(`s${i}`))

  beforeAll(async () => {
    await freshAuth()
    for (const s of students) expect((await call('/sign-up/email', s, school)).status).toBe(200)
  })

  it('let a class of 30 behind one address sign in at once', async () => {
    const responses = await Promise.all(students.map((s) => signIn(s)))
    expect(responses.map((r) => r.status)).toEqual(students.map(() => 200))
  })

  it('lock one account on one address after 10 wrong passwords, with the true wait; classmates and other addresses still sign in', async () => {
    const [victim, classmate] = [students[0]!, students[1]!]
    for (let i = 0; i < 10; i++) expect((await signIn(victim, school, 'wrong-password')).status).toBe(401)
    const started = Date.now()
    const locked = await signIn(victim)
    expect(locked.status).toBe(429)
    const retryAfter = Number(locked.headers.get('retry-after'))
    const body = await locked.json()
    expect(body).toMatchObject({ code: 'too_many_failed_sign_ins', retryAfterSeconds: retryAfter })
    // The window is 10 minutes from the first failure, a few seconds ago.
    expect(retryAfter).toBeGreaterThan(600 - 30 - (Date.now() - started) / 1000)
    expect(retryAfter).toBeLessThanOrEqual(600)
    expect(body.message).toContain(`${Math.floor(retryAfter / 60)} min`)

    expect((await signIn(classmate)).status).toBe(200)
    expect((await signIn(victim, '198.51.100.20')).status).toBe(200)
    expect((await signIn(victim)).status).toBe(429)
  })

  it('forget a pair\'s failures when its right password comes', async () => {
    const s = students[2]!
    for (let i = 0; i < 9; i++) expect((await signIn(s, school, 'wrong')).status).toBe(401)
    expect((await signIn(s)).status).toBe(200)
    for (let i = 0; i < 10; i++) expect((await signIn(s, school, 'wrong')).status).toBe(401)
    expect((await signIn(s, school, 'wrong')).status).toBe(429)
  })

  it('count concurrent guesses before checking them: 30 at once get 10 password checks', async () => {
    const s = students[3]!
    const responses = await Promise.all(Array.from({ length: 30 }, () => signIn(s, '192.0.2.50', 'wrong')))
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((x) => x === 401)).toHaveLength(10)
    expect(statuses.filter((x) => x === 429)).toHaveLength(20)
  })

  it('count an IPv6 client by its /64', async () => {
    const s = students[4]!
    for (let i = 0; i < 10; i++) expect((await signIn(s, `2001:db8:1:2::${(i + 1).toString(16)}`, 'wrong')).status).toBe(401)
    expect((await signIn(s, '2001:db8:1:2:ffff:ffff:ffff:ffff')).status).toBe(429)
    expect((await signIn(s, '2001:db8:1:3::1')).status).toBe(200)
  })

  it('stop one address trying many accounts (password spraying) at the per-address ceiling', async () => {
    const { countUse } = await import('@/lib/db/usage-counter.server')
    const { authLimits, limitKeys } = await import('@/lib/auth/sign-in-limits')
    const sprayer = '192.0.2.99'
    // 199 failures already counted from this address, each on another account.
    for (let i = 0; i < authLimits.address.max - 1; i++) await countUse(limitKeys.address(sprayer), authLimits.address.windowMs)
    expect((await signIn(account('nobody-1'), sprayer, 'guess')).status).toBe(401)
    const refused = await signIn(students[5]!, sprayer)
    expect(refused.status).toBe(429)
    expect((await refused.json()).code).toBe('too_many_sign_ins_from_address')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(500)
    // The school's address is not touched by it.
    expect((await signIn(students[5]!)).status).toBe(200)
  })
})

describe('with QUAI_AUTH_RATE_LIMIT=off (end-to-end servers)', () => {
  it('no sign-in is limited', async () => {
    process.env.QUAI_AUTH_RATE_LIMIT = 'off'
    await freshAuth()
    const s = account('unlimited')
    expect((await call('/sign-up/email', s, school)).status).toBe(200)
    for (let i = 0; i < 12; i++) expect((await signIn(s, school, 'wrong')).status).toBe(401)
    expect((await signIn(s)).status).toBe(200)
    process.env.QUAI_AUTH_RATE_LIMIT = 'on'
    await freshAuth()
  })
})
