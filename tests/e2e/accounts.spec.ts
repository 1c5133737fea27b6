import { expect, request, test } from './support/test'
import { baseURL } from '../../playwright.config'
import { mintSetupToken, newStudent, signUp } from './support/accounts'

// Roles are never taken from the client, and nobody becomes an instructor by signing up: the
// fixtures server's instructor was made by support/global-setup.ts with a setup token, as an
// installer makes theirs. Every sign-up is a student, whatever its body says.
test('a sign-up body carrying role "instructor" makes a student; updating one\'s own role is refused', async () => {
  const account = newStudent()
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  try {
    const response = await api.post('/api/auth/sign-up/email', { data: { ...account, role: 'instructor' } })
    expect(response.ok(), await response.text()).toBe(true)
    expect((await response.json()).user.role).toBe('student')
    expect((await (await api.get('/api/auth/get-session')).json()).user.role).toBe('student')
    expect((await api.get('/teach', { maxRedirects: 0 })).status()).toBe(403)

    // Nor can the account promote itself afterwards.
    const update = await api.post('/api/auth/update-user', { data: { role: 'instructor' } })
    expect(update.status(), await update.text()).toBe(400)
    expect((await (await api.get('/api/auth/get-session')).json()).user.role).toBe('student')
    expect((await api.get('/teach', { maxRedirects: 0 })).status()).toBe(403)
  } finally {
    await api.dispose()
  }

  // What is stored: a new session, from a fresh sign-in, is still a student's.
  const again = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  try {
    const signIn = await again.post('/api/auth/sign-in/email', { data: { email: account.email, password: account.password } })
    expect(signIn.ok(), await signIn.text()).toBe(true)
    expect((await signIn.json()).user.role).toBe('student')
    expect((await again.get('/teach', { maxRedirects: 0 })).status()).toBe(403)
  } finally {
    await again.dispose()
  }
})

// Using a setup link stops the others still waiting: these run one after the other.
test.describe('the setup link (npm run setup:token)', () => {
  test.describe.configure({ mode: 'serial' })

  test('makes the signed-in student who opens it an instructor, once', async ({ page }) => {
    const token = mintSetupToken('fixtures', baseURL)
    const student = await signUp(page)
    await page.goto(`/setup?token=${token}`)
    await expect(page.getByRole('heading', { level: 1 })).toHaveText("Compte enseignant de l'installation")
    await expect(page.getByText(`Vous êtes connecté·e avec ${student.email}`)).toBeVisible()
    await page.getByRole('button', { name: 'Faire de mon compte un compte enseignant' }).click()
    await expect(page).toHaveURL(/\/teach$/)
    await expect(page.getByRole('link', { name: 'Espace enseignant' })).toBeVisible()

    await page.goto(`/setup?token=${token}`)
    await expect(page.getByRole('main').getByRole('alert')).toContainText('Ce lien a déjà servi.')
  })

  test('lets a signed-out holder create the instructor account, in English too', async ({ page }) => {
    const token = mintSetupToken('fixtures', baseURL)
    await page.goto(`/setup?token=${token}`)
    await page.getByLabel('Langue').selectOption('en')
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Instructor account of this installation')
    const account = newStudent()
    await page.getByLabel('Display name').fill('Prof Setup')
    await page.getByLabel('Email address').fill(account.email)
    await page.getByLabel('Password').fill(account.password)
    await page.getByRole('button', { name: 'Create the instructor account' }).click()
    await expect(page).toHaveURL(/\/teach$/)
    const session = await (await page.request.get('/api/auth/get-session')).json()
    expect(session.user).toMatchObject({ email: account.email, role: 'instructor' })
  })

  test('says why a link cannot be used: wrong, or used by someone else meanwhile', async ({ page }) => {
    await page.goto(`/setup?token=${'x'.repeat(43)}`)
    const alert = page.getByRole('main').getByRole('alert')
    await expect(alert).toContainText("Ce lien n'est pas valide.")
    await expect(alert).toContainText('npm run setup:token')

    const token = mintSetupToken('fixtures', baseURL)
    await page.goto(`/setup?token=${token}`)
    // Someone else uses it first, while the form is open.
    const other = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
    expect((await other.post('/setup/claim', { data: { token, account: newStudent() } })).status()).toBe(201)
    await other.dispose()
    const account = newStudent()
    await page.getByLabel('Nom affiché').fill(account.name)
    await page.getByLabel('Adresse e-mail').fill(account.email)
    await page.getByLabel('Mot de passe').fill(account.password)
    await page.getByRole('button', { name: 'Créer le compte enseignant' }).click()
    await expect(alert).toHaveText('Ce lien a déjà servi. Sur le serveur, npm run setup:token en affiche un nouveau.')
  })
})
