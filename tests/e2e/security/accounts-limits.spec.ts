import { randomUUID } from 'node:crypto'
import { expect, request, test, type APIRequestContext } from '@playwright/test'
import { mintSetupToken, setupTokenFile } from '../support/accounts'
import { freePort, startSpecServer, type SpecServer } from '../support/server'
import fs from 'node:fs'

// Accounts on a server of their own: a fresh installation (its first sign-up must be a student,
// its instructor comes from a setup link) with the sign-in limits ON, which the shared e2e
// servers turn off. Every request here comes from 127.0.0.1, like a class behind one school
// address; the server trusts no proxy, so X-Forwarded-For is the client's own invention.
test.describe.configure({ mode: 'serial' })

const name = 'security-accounts'
let server: SpecServer | undefined
let url = ''

test.beforeAll(async () => {
  test.setTimeout(180_000)
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  server = await startSpecServer(name, port, { QUAI_URL: url, QUAI_AUTH_RATE_LIMIT: 'on', QUAI_SANDBOX_RUNTIME: 'off' }, /No instructor yet: open \S+ to create the first instructor account \(valid 24 h\)/)
})

test.afterAll(() => server?.stop())

const api = (extraHeaders: Record<string, string> = {}) => request.newContext({ baseURL: url, extraHTTPHeaders: { origin: url, ...extraHeaders } })
const account = () => {
  const id = randomUUID().slice(0, 8)
  return { name: `Élève ${id}`, email: `limits-${id}@quai.test`, password: `password-${id}` }
}
const signIn = (context: APIRequestContext, a: { email: string; password: string }, password = a.password, headers: Record<string, string> = {}) =>
  context.post('/api/auth/sign-in/email', { data: { email: a.email, password }, headers })

test('a fresh installation: the first sign-up is a student; the setup link printed at start makes the instructor, once', async () => {
  const first = await api()
  const signUp = await first.post('/api/auth/sign-up/email', { data: { ...account(), role: 'instructor' } })
  expect(signUp.status()).toBe(200)
  expect((await signUp.json()).user.role).toBe('student')
  expect((await first.get('/teach', { maxRedirects: 0 })).status()).toBe(403)

  const printed = new URL(/No instructor yet: open (\S+) to create/.exec(server!.log())![1]!)
  expect(printed.origin).toBe(url)
  expect(printed.pathname).toBe('/setup')
  const token = printed.searchParams.get('token')!
  // The first student uses it on the account they are signed in with.
  const claim = await first.post('/setup/claim', { data: { token } })
  expect(claim.status(), await claim.text()).toBe(200)
  expect((await first.get('/teach', { maxRedirects: 0 })).status()).toBe(200)

  const other = await api()
  const reused = await other.post('/setup/claim', { data: { token, account: account() } })
  expect(reused.status()).toBe(409)
  expect((await reused.json()).error.code).toBe('setup_token_used')
  // The token start-server.sh minted before the server started was waiting: using another stopped it.
  const waiting = fs.readFileSync(setupTokenFile(name), 'utf8').trim()
  expect((await (await other.post('/setup/claim', { data: { token: waiting, account: account() } })).json()).error.code).toBe('setup_token_expired')
  const wrong = await other.post('/setup/claim', { data: { token: `${token.slice(0, -2)}xx`, account: account() } })
  expect(wrong.status()).toBe(404)
  expect((await wrong.json()).error.code).toBe('setup_token_unknown')
})

test('a setup link used by several people at once makes exactly one instructor', async () => {
  const token = mintSetupToken(name, url)
  const contenders = await Promise.all(Array.from({ length: 6 }, () => api()))
  const responses = await Promise.all(contenders.map((c) => c.post('/setup/claim', { data: { token, account: account() } })))
  expect(responses.map((r) => r.status()).sort()).toEqual([201, 409, 409, 409, 409, 409])
})

const students = Array.from({ length: 30 }, account)

test('a class of 30 behind one address signs in at once, all of them, none held back by the limits', async () => {
  test.setTimeout(120_000)
  const setup = await api()
  for (const s of students) expect((await setup.post('/api/auth/sign-up/email', { data: s })).status()).toBe(200)
  const started = Date.now()
  const responses = await Promise.all(students.map(async (s) => signIn(await api(), s)))
  expect(responses.map((r) => r.status())).toEqual(students.map(() => 200))
  // Printed, not asserted: password hashing's time depends on the machine and its load.
  console.log(`30 sign-ins from one address: ${Date.now() - started} ms`)
})

test('10 wrong passwords lock that account on this address with the true wait; classmates still sign in; forged X-Forwarded-For changes nothing', async () => {
  const [victim, classmate, forger] = [students[0]!, students[1]!, students[2]!]
  const context = await api()
  for (let i = 0; i < 10; i++) expect((await signIn(context, victim, 'wrong-password')).status()).toBe(401)
  const locked = await signIn(context, victim)
  expect(locked.status()).toBe(429)
  const retryAfter = Number(locked.headers()['retry-after'])
  expect(retryAfter).toBeGreaterThan(540)
  expect(retryAfter).toBeLessThanOrEqual(600)
  const body = await locked.json()
  expect(body).toMatchObject({ code: 'too_many_failed_sign_ins', retryAfterSeconds: retryAfter })
  expect(body.message).toMatch(/try again in \d+ min( \d+ s)?$/)
  expect((await signIn(await api(), classmate)).status()).toBe(200)

  // A new address on every request, in every header a client might think is read: the
  // server trusts no proxy, so all of them are 127.0.0.1 and the eleventh is refused.
  const forged = () => {
    const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`
    return { 'x-forwarded-for': address, 'x-real-ip': address, 'x-quai-client-address': address, forwarded: `for=${address}` }
  }
  expect((await signIn(context, victim, victim.password, forged())).status()).toBe(429)
  for (let i = 0; i < 10; i++) expect((await signIn(await api(), forger, 'wrong-password', forged())).status()).toBe(401)
  const stillLocked = await signIn(await api(forged()), forger, forger.password, forged())
  expect(stillLocked.status()).toBe(429)
  expect(Number(stillLocked.headers()['retry-after'])).toBeGreaterThan(500)
})

test('the sign-in form tells the real wait, in French and in English', async ({ page }) => {
  const s = students[3]!
  await page.goto(`${url}/sign-in`)
  // Ten wrong passwords from this browser (the same address as the form's requests).
  const statuses = await page.evaluate(async (email) => {
    const out: number[] = []
    for (let i = 0; i < 10; i++) {
      const response = await fetch('/api/auth/sign-in/email', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'wrong-password' }) })
      out.push(response.status)
    }
    return out
  }, s.email)
  expect(statuses).toEqual(Array(10).fill(401))
  await page.getByLabel('Adresse e-mail').fill(s.email)
  await page.getByLabel('Mot de passe').fill(s.password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  // The form's own alert (Next's route announcer is one too).
  const alert = page.getByRole('main').getByRole('alert')
  await expect(alert).toHaveText(/^Trop de mots de passe erronés pour ce compte depuis votre réseau\. Réessayez dans (9|10) min( \d+ s)?\.$/)
  expect(await alert.textContent()).not.toContain('une minute')

  await page.getByLabel('Langue').selectOption('en')
  await page.getByLabel('Email address').fill(s.email)
  await page.getByLabel('Password').fill(s.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(alert).toHaveText(/^Too many wrong passwords for this account from your network\. Try again in (9|10) min( \d+ s)?\.$/)
})
