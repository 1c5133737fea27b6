import { describe, expect, it } from 'vitest'
import { setAuthEnvironmentBeforeAll } from '../../support/auth-env'

// The first instructor comes from the installer's setup link, never from signing up first.
// Runs on this file's own fresh database (integration-file-db.ts): a fresh installation.
const appUrl = 'http://localhost:3999'

setAuthEnvironmentBeforeAll(appUrl, 'off')

const modules = async () => ({
  ...(await import('@/lib/auth/setup-token.server')),
  ...(await import('@/lib/auth/setup.server')),
  auth: await (await import('@/lib/auth/auth.server')).getAuth(),
  db: await (await import('@/lib/db/client.server')).getDb(),
})

const post = (path: string, body: unknown) =>
  new Request(`${appUrl}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: appUrl }, body: JSON.stringify(body) })

const account = (name: string) => ({ name, email: `${name}@setup.quai.test`, password: `${name}-password` })

describe('the first instructor of an installation', () => {
  it('is not whoever signs up first: on a fresh installation the first account is a student', async () => {
    const { auth, db } = await modules()
    expect(await db.user.count()).toBe(0)
    const response = await auth.handler(post('/sign-up/email', { ...account('first'), role: 'instructor' }))
    expect(response.status, await response.clone().text()).toBe(200)
    expect((await response.json()).user.role).toBe('student')
    expect(await db.user.count({ where: { role: 'instructor' } })).toBe(0)
  })

  it('is announced at start while no instructor exists: each start prints a fresh, valid link', async () => {
    const { announceSetupTokenIfNeeded, setupTokenState, db } = await modules()
    const lines: string[] = []
    const first = await announceSetupTokenIfNeeded((line) => lines.push(line))
    const second = await announceSetupTokenIfNeeded((line) => lines.push(line))
    expect(first).not.toBe(second)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^No instructor yet: open ${appUrl}/setup\\?token=[A-Za-z0-9_-]{43} to create the first instructor account \\(valid 24 h\\)$`))
    for (const url of [first!, second!]) expect(await setupTokenState(new URL(url).searchParams.get('token')!)).toBe('valid')
    // Only hashes are stored.
    const stored = await db.setupToken.findMany({ select: { tokenHash: true } })
    for (const url of [first!, second!]) expect(JSON.stringify(stored)).not.toContain(new URL(url).searchParams.get('token'))
  })

  it('comes from a setup token, which makes a new account an instructor that signs in with its password', async () => {
    const { mintSetupToken, claimSetupLink, setupTokenState, auth } = await modules()
    const { token } = await mintSetupToken()
    const prof = account('prof')
    const { created, userId } = await claimSetupLink({ token, account: prof }, null)
    expect(created).toBe(true)
    expect(await setupTokenState(token)).toBe('used')
    const signIn = await auth.handler(post('/sign-in/email', { email: prof.email, password: prof.password }))
    expect(signIn.status).toBe(200)
    expect((await signIn.json()).user).toMatchObject({ id: userId, role: 'instructor' })
  })

  it('refuses a token used, expired or wrong, with the reason', async () => {
    const { mintSetupToken, claimSetupLink, redeemSetupToken, setupTokenLifetimeMs, SetupTokenError, db } = await modules()
    const { token } = await mintSetupToken()
    await claimSetupLink({ token, account: account('once') }, null)
    const reasonOf = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: unknown) => (error instanceof SetupTokenError ? error.reason : String(error)))
    expect(await reasonOf(claimSetupLink({ token, account: account('twice') }, null))).toBe('used')

    const old = await mintSetupToken(new Date(Date.now() - setupTokenLifetimeMs - 1000))
    expect(await reasonOf(claimSetupLink({ token: old.token, account: account('late') }, null))).toBe('expired')
    // A token minted now is still refused a day and a second later.
    const fresh = await mintSetupToken()
    expect(await reasonOf(redeemSetupToken(fresh.token, async () => 'x', new Date(Date.now() + setupTokenLifetimeMs + 1000)))).toBe('expired')

    expect(await reasonOf(claimSetupLink({ token: 'A'.repeat(43), account: account('guess') }, null))).toBe('unknown')
    expect(await reasonOf(claimSetupLink({ token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), account: account('near') }, null))).toBe('unknown')
    // None of the refused claims made an account.
    expect(await db.user.count({ where: { email: { in: ['twice', 'late', 'guess', 'near'].map((n) => account(n).email) } } })).toBe(0)
  })

  it('lets exactly one of many concurrent uses of one token through', async () => {
    const { mintSetupToken, claimSetupLink, db } = await modules()
    const { token } = await mintSetupToken()
    const racers = Array.from({ length: 8 }, (_, i) => account(`racer${i}`))
    const outcomes = await Promise.allSettled(racers.map((a) => claimSetupLink({ token, account: a }, null)))
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    expect(await db.user.count({ where: { email: { in: racers.map((a) => a.email) } } })).toBe(1)
    const row = await db.setupToken.findFirstOrThrow({ where: { usedBy: (outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ userId: string }>).value.userId } })
    expect(row.usedAt).not.toBeNull()
  })

  it('promotes the account its holder is signed in with; the other links waiting stop working', async () => {
    const { mintSetupToken, claimSetupLink, setupTokenState, auth, db } = await modules()
    const student = account('promoted')
    const signUp = await auth.handler(post('/sign-up/email', student))
    const { user } = await signUp.json()
    expect(user.role).toBe('student')
    const waiting = await mintSetupToken()
    const { token } = await mintSetupToken()
    expect(await claimSetupLink({ token }, user.id)).toEqual({ userId: user.id, created: false })
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe('instructor')
    expect(await setupTokenState(waiting.token)).toBe('expired')
  })

  it('gives the token back when the account cannot be made (email already taken)', async () => {
    const { mintSetupToken, claimSetupLink, setupTokenState, SetupAccountError } = await modules()
    const { token } = await mintSetupToken()
    await expect(claimSetupLink({ token, account: { ...account('someone'), email: account('promoted').email } }, null)).rejects.toBeInstanceOf(SetupAccountError)
    expect(await setupTokenState(token)).toBe('valid')
  })

  it('is not announced once an instructor exists', async () => {
    const { announceSetupTokenIfNeeded } = await modules()
    const lines: string[] = []
    expect(await announceSetupTokenIfNeeded((line) => lines.push(line))).toBeNull()
    expect(lines).toEqual([])
  })
})
