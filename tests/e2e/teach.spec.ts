import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { expect, test, type APIRequestContext, type Browser, type Page } from './support/test'
import { baseURL } from '../../playwright.config'
import { instructorState, newStudent, signUp } from './support/accounts'
import { checkExercise, openLab } from './support/lab'
import { gotoLoaded } from './support/navigation'

// Requests that change something must say they come from Quai's pages, as a browser's do.
const sameOrigin = { origin: baseURL }

// The instructor space in Chromium, on the fixture course "demo" (lessons lecture,
// quiz-lesson, labo with exercises reseau and conteneur), against the production build.

const run = promisify(execFile)

/** Makes an account an instructor on the fixtures server's database (npm run user:role). */
async function makeInstructor(email: string) {
  await run('npx', ['tsx', '--import', './scripts/node/register.mjs', 'scripts/user-role.ts', email, 'instructor'], {
    env: { ...process.env, DATABASE_URL: 'file:./.cache/e2e/fixtures/quai.db' },
  })
}

async function instructorPage(browser: Browser): Promise<Page> {
  return (await browser.newContext({ storageState: instructorState })).newPage()
}

async function createClass(page: Page, name: string): Promise<{ id: string; code: string; link: string }> {
  await page.goto('/teach')
  await page.getByLabel('Nom de la classe').fill(name)
  await page.getByRole('checkbox', { name: 'Cours de démonstration' }).check()
  await page.getByRole('button', { name: 'Créer la classe' }).click()
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible()
  const id = new URL(page.url()).pathname.split('/').pop()!
  const code = (await page.getByTestId('join-code').textContent())!.trim()
  const link = (await page.getByTestId('join-link').textContent())!.trim()
  expect(code).toMatch(/^[2-9A-HJKMNP-TV-Z]{5}-[2-9A-HJKMNP-TV-Z]{5}$/)
  expect(link).toBe(`${baseURL}/join/${code}`)
  return { id, code, link }
}

test('an instructor creates a class, a student joins it, fails then passes an exercise, and the dashboard shows both', async ({ page, browser }) => {
  test.setTimeout(240_000)
  const teacher = await instructorPage(browser)
  const name = `TP réseaux ${randomUUID().slice(0, 6)}`
  const { id, code, link } = await createClass(teacher, name)

  // Signed out, the join link asks to sign up, and brings the student back to it.
  const student = newStudent()
  await page.goto(new URL(link).pathname)
  await page.getByRole('main').getByRole('link', { name: 'Créer un compte' }).click()
  await page.getByLabel('Nom affiché').fill(student.name)
  await page.getByLabel('Adresse e-mail').fill(student.email)
  await page.getByLabel('Mot de passe').fill(student.password)
  await page.getByRole('button', { name: 'Créer mon compte' }).click()
  await expect(page.getByText(`Vous êtes invité·e à rejoindre la classe « ${name} ».`)).toBeVisible()
  await page.getByRole('button', { name: `Rejoindre « ${name} »` }).click()
  await expect(page.getByRole('main').getByRole('status')).toContainText(`Vous avez rejoint la classe « ${name} ».`)

  // Typing the code again (any case, spaces) is a no-op; a wrong code says so.
  await page.goto('/join')
  await page.getByLabel('Code de la classe').fill(code.toLowerCase().replace('-', ' '))
  await page.getByRole('button', { name: 'Rejoindre' }).click()
  await expect(page.getByRole('main').getByRole('status')).toContainText(`Vous faites déjà partie de la classe « ${name} »`)
  await page.getByLabel('Code de la classe').fill('ZZZZZ-ZZZZZ')
  await page.getByRole('button', { name: 'Rejoindre' }).click()
  await expect(page.getByRole('main').getByRole('alert')).toContainText("Aucune classe n'a ce code")
  await expect(page.getByTestId('my-classes')).toContainText(name)

  // The real exercise panel on a real sandbox: a check that fails, the command, a check that passes.
  const { terminal } = await openLab(page)
  const panel = page.getByRole('region', { name: 'Exercices' })
  const exercise = panel.getByRole('listitem').filter({ hasText: 'Créer le réseau demo-net' })
  const toggle = exercise.getByRole('button', { name: /Créer le réseau demo-net/ })
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
  await exercise.getByRole('button', { name: 'Vérifier' }).click()
  await expect(exercise.getByText(/0\/\d+ vérification\(s\) réussie\(s\)/)).toBeVisible({ timeout: 30_000 })
  await terminal.locator('.xterm').click()
  await page.keyboard.type('docker network create demo-net\n')
  await expect(terminal.locator('.xterm-rows > div', { hasText: /^[0-9a-f]{64}\s*$/ })).toBeVisible({ timeout: 60_000 })
  // Live mode may show the success before the click's own check is stored: wait for that one.
  expect((await checkExercise(page, exercise)).status()).toBe(200)
  await expect(exercise.getByText('Exercice réussi : tout est en place.')).toBeVisible({ timeout: 30_000 })

  // The dashboard: the student is working now, the failure and the success are both counted.
  await teacher.goto(`/teach/classes/${id}`)
  await expect(teacher.getByTestId('live-presence')).toContainText(student.name, { timeout: 15_000 })
  const row = teacher.getByTestId('exercise-table').locator('tr[data-exercise="reseau"]')
  await expect(row.getByTestId('success')).toHaveText('1/1 (100 %)')
  // At least the failed run and the passing one; live mode may have recorded more of either.
  const runs = row.getByTestId('runs')
  await expect(runs).toHaveText(/^\d+ réussies sur \d+$/)
  const [passedRuns, totalRuns] = ((await runs.textContent()) ?? '').match(/\d+/g)!.map(Number)
  expect(passedRuns).toBeGreaterThanOrEqual(1)
  expect(totalRuns).toBeGreaterThan(passedRuns!)
  await expect(row).toContainText('aucun réseau nommé demo-net')
  const cell = teacher.getByTestId('progress-matrix').locator(`tr:has-text("${student.name}") td[data-lesson="demo/labo"]`)
  await expect(cell).toHaveAttribute('data-s', 'in-progress')
  await expect(cell).toContainText('E 1/2')

  // One student's view: what each check found, failed then passed.
  await teacher.getByTestId('progress-matrix').getByRole('link', { name: student.name }).click()
  await expect(teacher.getByRole('heading', { level: 1, name: student.name })).toBeVisible()
  const attempts = teacher.locator('[data-exercise="reseau"]').getByTestId('attempts')
  await expect(attempts.locator('summary').first()).toContainText('✓')
  await expect(attempts.locator('summary').last()).toContainText('✗')
  await attempts.locator('summary').last().click()
  await expect(attempts.locator('[data-assertion="network:demo-net:exists"]').last()).toContainText('aucun réseau nommé demo-net')

  // The grade sheet, on its own page: the failed run then the passing one, best grade kept.
  await gotoLoaded(teacher, `/teach/classes/${id}`)
  await teacher.getByRole('region', { name: 'Feuille de notes' }).getByRole('link', { name: 'Ouvrir la feuille de notes' }).click()
  const grades = teacher.getByTestId('grade-sheet').getByRole('row').filter({ hasText: student.name }).getByRole('cell')
  await expect(grades).toHaveText(['100 %', '—', '50 %'])
  await expect(grades.first()).toHaveAttribute('title', /^\d+ vérifications$/)

  // The CSV: UTF-8 with a BOM, one row per student × lesson.
  const csv = await teacher.request.get(`/api/classes/${id}/export`)
  expect(csv.status()).toBe(200)
  expect(csv.headers()['content-type']).toContain('text/csv')
  const text = (await csv.body()).toString('utf8')
  expect(text.charCodeAt(0)).toBe(0xfeff)
  const lines = text.trim().split('\r\n')
  expect(lines[0]).toContain('Nom;E-mail;Cours;Leçon;Statut')
  expect(lines.filter((l) => l.includes(student.email))).toHaveLength(3)
})

test('a student with an expired join code gets 410 expired_code from the API and the French message on /join and on the join link', async ({ page, browser }) => {
  const teacher = await instructorPage(browser)
  const name = `Expiré ${randomUUID().slice(0, 6)}`
  const created = await teacher.request.post('/api/classes', { data: { name, courses: ['demo'] }, headers: sameOrigin })
  expect(created.status()).toBe(201)
  const { id } = (await created.json()) as { id: string }
  // A new code that expires in two seconds (the API refuses an expiry already past).
  const expiresAt = Date.now() + 2000
  const regenerated = await teacher.request.post(`/api/classes/${id}/code`, { data: { joinCodeExpiresAt: new Date(expiresAt).toISOString() }, headers: sameOrigin })
  expect(regenerated.status()).toBe(200)
  const { joinCode } = (await regenerated.json()) as { joinCode: string }
  const code = `${joinCode.slice(0, 5)}-${joinCode.slice(5)}`
  await signUp(page)
  await page.waitForTimeout(Math.max(0, expiresAt - Date.now()) + 500)

  // The route: 410 with the stable code.
  const refused = await page.request.post('/api/classes/join', { data: { code }, headers: sameOrigin })
  expect(refused.status()).toBe(410)
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('expired_code')

  // What the student reads: the /join form, then the join link's page, which offers no button.
  const message = 'Ce code a expiré. Demandez un nouveau code à votre enseignant·e.'
  await page.goto('/join')
  await page.getByLabel('Code de la classe').fill(code)
  await page.getByRole('button', { name: 'Rejoindre' }).click()
  await expect(page.getByRole('main').getByRole('alert')).toHaveText(message)
  await page.goto(`/join/${code}`)
  await expect(page.getByRole('main').getByRole('alert')).toContainText(message)
  await expect(page.getByRole('button', { name: `Rejoindre « ${name} »` })).toHaveCount(0)

  // Nobody joined, and the instructor's card says the code has expired.
  expect(((await (await teacher.request.get(`/api/classes/${id}`)).json()) as { memberCount: number }).memberCount).toBe(0)
  await teacher.goto(`/teach/classes/${id}`)
  await expect(teacher.getByText(/^Code expiré le .+ : régénérez-le pour accepter de nouveaux étudiant·es\.$/)).toBeVisible()
})

test('another instructor, a student and a visitor are refused a class: pages, APIs and CSV', async ({ page, browser, playwright }) => {
  test.setTimeout(120_000)
  const teacher = await instructorPage(browser)
  const { id, code } = await createClass(teacher, `Privée ${randomUUID().slice(0, 6)}`)

  // A student of the class.
  const member = await signUp(page)
  const joined = await page.request.post('/api/classes/join', { data: { code }, headers: sameOrigin })
  expect(joined.status()).toBe(201)
  expect((await page.request.post('/api/classes/join', { data: { code }, headers: sameOrigin })).status()).toBe(200)
  expect(((await (await teacher.request.get(`/api/classes/${id}`)).json()) as { memberCount: number }).memberCount).toBe(1)
  const report = await teacher.request.get(`/api/classes/${id}/dashboard`)
  const studentId = ((await report.json()) as { matrix: { student: { id: string; email: string } }[] }).matrix.find((r) => r.student.email === member.email)!.student.id

  const pages = [`/teach/classes/${id}`, `/teach/classes/${id}/manage`, `/teach/classes/${id}/grades`, `/teach/classes/${id}/students/${studentId}`]
  const reads = [`/api/classes/${id}`, `/api/classes/${id}/dashboard`, `/api/classes/${id}/presence`, `/api/classes/${id}/export`, `/api/classes/${id}/grades/export`, `/api/classes/${id}/students/${studentId}`]
  const writes: [string, 'post' | 'patch' | 'delete', unknown][] = [
    [`/api/classes/${id}`, 'patch', { archived: true }],
    [`/api/classes/${id}/code`, 'post', { joinCodeExpiresAt: null }],
    [`/api/classes/${id}/members/${studentId}`, 'delete', undefined],
    [`/api/classes/${id}/instructors`, 'post', { email: member.email }],
  ]
  const tryWrites = async (request: APIRequestContext, status: number, code: string) => {
    for (const [url, method, data] of writes) {
      const response = await request[method](url, data === undefined ? { headers: sameOrigin } : { data, headers: sameOrigin })
      expect(response.status(), `${method} ${url}`).toBe(status)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code)
    }
  }

  // The student of the class: the instructor pages are a 403, the APIs answer 403 "forbidden".
  for (const url of pages) {
    expect((await page.goto(url))?.status(), url).toBe(403)
  }
  for (const url of reads) {
    const response = await page.request.get(url)
    expect(response.status(), url).toBe(403)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden')
  }
  await tryWrites(page.request, 403, 'forbidden')

  // Another instructor: refused by the class, with a page that says so.
  const otherPage = await (await browser.newContext()).newPage()
  const other = await signUp(otherPage)
  await makeInstructor(other.email)
  for (const url of pages) {
    expect((await otherPage.goto(url))?.status(), url).toBe(403)
  }
  await expect(otherPage.getByRole('heading', { name: 'Classe réservée' })).toBeVisible()
  for (const url of reads) {
    const response = await otherPage.request.get(url)
    expect(response.status(), url).toBe(403)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_class_instructor')
  }
  await tryWrites(otherPage.request, 403, 'not_class_instructor')
  expect((await otherPage.request.get('/api/classes/does-not-exist/export')).status()).toBe(404)
  // Their own list does not show the class.
  expect(((await (await otherPage.request.get('/api/classes')).json()) as { classes: unknown[] }).classes).toEqual([])

  // No session: pages send to sign-in, APIs answer 401.
  const visitor = await (await browser.newContext()).newPage()
  for (const url of pages) {
    await visitor.goto(url)
    expect(visitor.url()).toContain(`/sign-in?next=${encodeURIComponent(url)}`)
  }
  const anonymous = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  for (const url of reads) expect((await anonymous.get(url)).status(), url).toBe(401)
  await tryWrites(anonymous, 401, 'unauthenticated')

  // Nothing changed: the class is active, the student still in it, the code the same.
  const detail = (await (await teacher.request.get(`/api/classes/${id}`)).json()) as { archivedAt: string | null; joinCode: string; memberCount: number }
  expect(detail).toMatchObject({ archivedAt: null, joinCode: code.replace('-', ''), memberCount: 1 })
})

test('an instructor previews a lesson with its answer key and solutions, runs a solution in a fresh sandbox; the learner page never carries them', async ({ page, browser }) => {
  test.setTimeout(240_000)
  const teacher = await instructorPage(browser)
  await teacher.goto('/teach/preview')
  await teacher.getByRole('link', { name: 'Une leçon avec quiz' }).click()
  const key = teacher.getByTestId('answer-key')
  await expect(key.locator('[data-question="dns"]')).toContainText('« 127.0.0.11 »')
  await expect(key.locator('[data-question="flag"]')).toContainText('/^--internal$/')
  // Inline Markdown in the key as in the learner's quiz: code, not backticks; French colons.
  await expect(key.locator('[data-question="drivers"] code').first()).toHaveText('docker network create --driver')
  await expect(key.locator('[data-question="drivers"]')).not.toContainText('`')
  await expect(key.locator('[data-question="dns"]')).toContainText('Réponse attendue\u00a0:')
  await teacher.goto('/teach/preview/demo/labo')
  const reseau = teacher.locator('[data-exercise="reseau"]')
  await expect(reseau.getByTestId('solution')).toHaveText('docker network create demo-net')

  // The solution in a fresh sandbox: checks fail before, pass after.
  await reseau.getByRole('button', { name: 'Exécuter la solution dans un bac à sable neuf' }).click()
  const run = reseau.getByTestId('solution-run')
  await expect(run).toContainText('La solution fait passer toutes les vérifications', { timeout: 150_000 })
  await expect(run).toContainText('aucun réseau nommé demo-net')
  await expect(run).toContainText('le réseau demo-net existe')

  await signUp(page)
  expect((await page.goto('/teach/preview/demo/labo'))?.status()).toBe(403)
  const html = await (await page.request.get('/courses/demo/quiz-lesson')).text()
  expect(html).not.toContain('^--internal$')
})

test('an instructor reloads the content of the production server from the preview; a student may not', async ({ page, browser }) => {
  const teacher = await instructorPage(browser)
  await teacher.goto('/teach/preview')
  await teacher.getByRole('button', { name: 'Recharger le contenu' }).click()
  await expect(teacher.getByTestId('content-reloaded')).toHaveText(/^Contenu rechargé \(version \d+\) : 3 leçons, aucune indisponible\./)

  await signUp(page)
  expect((await page.request.post('/api/teach/content/reload', { headers: sameOrigin })).status()).toBe(403)
})

test('the instructor removes a student and archives the class; the archived class takes nobody', async ({ page, browser }) => {
  const teacher = await instructorPage(browser)
  const name = `Archive ${randomUUID().slice(0, 6)}`
  const { id, code } = await createClass(teacher, name)
  const student = await signUp(page)
  expect((await page.request.post('/api/classes/join', { data: { code }, headers: sameOrigin })).status()).toBe(201)

  await teacher.goto(`/teach/classes/${id}/manage`)
  teacher.on('dialog', (dialog) => void dialog.accept())
  const member = teacher.getByTestId('members').getByRole('listitem').filter({ hasText: student.email })
  await member.getByRole('button', { name: 'Retirer de la classe' }).click()
  await expect(teacher.getByText("Personne n'a encore rejoint la classe.")).toBeVisible()

  await teacher.getByRole('button', { name: 'Archiver la classe' }).click()
  await expect(teacher.getByRole('button', { name: 'Réactiver la classe' })).toBeVisible()
  const refused = await page.request.post('/api/classes/join', { data: { code }, headers: sameOrigin })
  expect(refused.status()).toBe(409)
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('class_archived')
  await teacher.goto('/teach')
  await expect(teacher.getByRole('region', { name: 'Classes archivées' })).toContainText(name)
})
