import { expect, test } from './support/test'
import { instructorState, signUp } from './support/accounts'

test('a new learner answers a quiz wrongly then rightly and sees their progress move', async ({ page }) => {
  await signUp(page)

  await page.goto('/progress')
  const course = page.locator('[data-course="demo"]')
  await expect(course.getByTestId('course-progress-text')).toHaveText('0 sur 3 leçons terminées')
  await expect(course.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '0')
  await expect(page.getByText("Vous n'avez encore commencé aucune leçon.")).toBeVisible()
  await expect(page.getByTestId('resume')).toHaveCount(0)
  // Per lesson, before anything: the work each one holds.
  await expect(course.locator('[data-lesson="quiz-lesson"] [data-testid="lesson-facts"]')).toHaveText('Quiz : pas encore tenté')
  await expect(course.locator('[data-lesson="labo"] [data-testid="lesson-facts"]')).toHaveText('Exercices : 0 sur 2')

  await page.goto('/courses/demo')
  await page.getByRole('link', { name: 'Une leçon avec quiz' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'Une leçon avec quiz' })).toBeVisible()
  await expect(page.locator('[data-status]').first()).toHaveText('En cours')

  const quiz = page.getByTestId('quiz')
  await quiz.getByLabel('Quelle adresse le DNS intégré de Docker écoute-t-il ?').fill('127.0.0.1')
  await quiz.getByLabel('host').check()
  await quiz.getByRole('button', { name: 'Valider mes réponses' }).click()
  await expect(quiz.getByTestId('quiz-result')).toContainText('Score : 0/5 (0 %)')
  // Before a pass, a wrong answer's explanation stays hidden (it would give the answer away).
  await expect(quiz.locator('[data-question="dns"] [data-correct="false"]')).toContainText("L'explication s'affichera quand vous aurez réussi le quiz.")
  await expect(quiz).not.toContainText('Le résolveur embarqué répond sur 127.0.0.11')
  await expect(quiz.getByTestId('quiz-standing')).toContainText('1 tentative')

  // The progress page, in another tab: the quiz tried once, what is missing, where to resume.
  const progress = await page.context().newPage()
  await progress.goto('/progress')
  const quizLesson = progress.locator('[data-course="demo"] [data-lesson="quiz-lesson"]')
  await expect(quizLesson.locator('[data-status]')).toHaveText('En cours')
  await expect(quizLesson.getByTestId('lesson-facts')).toContainText('Quiz : meilleur score 0 % (1 tentative)')
  await expect(quizLesson.getByTestId('lesson-facts')).toContainText('Dernière activité :')
  await expect(quizLesson.getByTestId('lesson-missing')).toHaveText('Pour terminer la leçon : obtenir au moins 60 % au quiz (meilleur score : 0 %)')
  await expect(progress.getByTestId('resume')).toContainText('Dernière activité : Une leçon avec quiz (Cours de démonstration)')
  await progress.close()

  await quiz.getByRole('button', { name: 'Refaire le quiz' }).click()
  await quiz.getByLabel('Quelle adresse le DNS intégré de Docker écoute-t-il ?').fill('127.0.0.11')
  await quiz.locator('[data-question="default-net"]').getByLabel('bridge').check()
  const drivers = quiz.locator('[data-question="drivers"]')
  await drivers.getByLabel('bridge').check()
  await drivers.getByLabel('overlay').check()
  await quiz.getByLabel('Quelle option rend un réseau interne ?').fill('--internal')
  await quiz.getByLabel('Nom du pilote de Swarm multi-hôtes ?').fill('Overlay')
  await quiz.getByRole('button', { name: 'Valider mes réponses' }).click()
  await expect(quiz.getByTestId('quiz-result')).toContainText('Score : 5/5 (100 %)')
  await expect(quiz.getByTestId('quiz-standing')).toContainText('2 tentatives')
  await expect(quiz.getByTestId('quiz-standing')).toContainText('Meilleur score : 100 %')
  // Once passed, explanations come with the answers.
  await expect(quiz.locator('[data-question="dns"]')).toContainText('Le résolveur embarqué répond sur 127.0.0.11')
  await expect(page.locator('h1 ~ [data-status]')).toHaveText(/Terminée/)

  await page.goto('/progress')
  await expect(course.getByTestId('course-progress-text')).toHaveText('1 sur 3 leçons terminées')
  await expect(course.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '33')
  const done = course.locator('[data-lesson="quiz-lesson"]')
  await expect(done.locator('[data-status]')).toHaveText(/Terminée/)
  await expect(done.getByTestId('lesson-facts')).toContainText('Quiz : meilleur score 100 % (2 tentatives)')
  await expect(done.getByTestId('lesson-missing')).toHaveCount(0)
  // Lessons not started list nothing missing yet.
  await expect(course.locator('[data-lesson="lecture"] [data-testid="lesson-missing"]')).toHaveCount(0)

  // A student coming back next week: where she was, and a link back to that lesson.
  const resume = page.getByTestId('resume')
  await expect(resume.getByRole('heading', { name: 'Reprendre où vous en étiez' })).toBeVisible()
  await expect(resume).toContainText('Dernière activité : Une leçon avec quiz (Cours de démonstration)')
  await resume.getByRole('link', { name: 'Reprendre la leçon' }).click()
  await expect(page).toHaveURL(/\/courses\/demo\/quiz-lesson$/)
  await expect(page.getByRole('heading', { level: 1, name: 'Une leçon avec quiz' })).toBeVisible()
})

test('the answer key never reaches the browser', async ({ page }) => {
  await signUp(page)
  const bodies: string[] = []
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'document' || response.url().includes('/_next/') || response.url().includes('/api/')) {
      bodies.push(await response.text().catch(() => ''))
    }
  })
  await page.goto('/courses/demo/quiz-lesson')
  await page.getByTestId('quiz').getByRole('button', { name: 'Valider mes réponses' }).click()
  await expect(page.getByTestId('quiz-result')).toBeVisible()
  const everything = bodies.join('\n')
  expect(everything).toContain('Quelle adresse le DNS intégré')
  for (const secret of ['127.0.0.11"', '^--internal$', '"answer"', '"accept"']) expect(everything).not.toContain(secret)
})

test('a reading lesson is completed by marking it read; the locale switch turns the interface to English', async ({ page }) => {
  await signUp(page)
  const scripts: Promise<string>[] = []
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') scripts.push(response.text().catch(() => ''))
  })
  await page.goto('/courses/demo/lecture')
  await expect(page.getByRole('navigation', { name: 'Sur cette page' })).toBeVisible()
  await page.waitForLoadState('networkidle')
  // The terminal (xterm.js) and the editor (CodeMirror) load only on hands-on lessons.
  const bodies = await Promise.all(scripts)
  expect(bodies.length).toBeGreaterThan(0)
  expect(bodies.filter((body) => body.includes('xterm-helper-textarea') || body.includes('cm-editor'))).toEqual([])
  await page.goto('/progress')
  const lecture = page.locator('[data-course="demo"] [data-lesson="lecture"]')
  await expect(lecture.getByTestId('lesson-missing')).toHaveText('Pour terminer la leçon : la marquer comme lue')
  await page.goto('/courses/demo/lecture')
  await page.getByRole('button', { name: 'Marquer comme lue' }).click()
  await expect(page.getByText('Leçon terminée')).toBeVisible()
  await page.getByLabel('Langue').selectOption('en')
  await expect(page.getByText('Lesson completed')).toBeVisible()
  await expect(page.getByRole('link', { name: 'My progress' })).toBeVisible()
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
})

test('a student is refused the instructor pages; the instructor gets in', async ({ page, browser }) => {
  await signUp(page)
  await expect(page.getByRole('link', { name: 'Espace enseignant' })).toHaveCount(0)
  const response = await page.goto('/teach')
  expect(response?.status()).toBe(403)
  await expect(page.getByRole('heading', { name: 'Accès refusé' })).toBeVisible()

  const instructorPage = await (await browser.newContext({ storageState: instructorState })).newPage()
  await instructorPage.goto('/teach')
  await expect(instructorPage.getByRole('heading', { level: 1, name: 'Espace enseignant' })).toBeVisible()
})

test('unknown courses and lessons get a real 404 page; anonymous visitors can read but are asked to sign in', async ({ page }) => {
  expect((await page.goto('/courses/nope'))?.status()).toBe(404)
  await expect(page.getByRole('heading', { name: 'Page introuvable' })).toBeVisible()
  expect((await page.goto('/courses/demo/nope'))?.status()).toBe(404)
  await page.goto('/courses/demo/quiz-lesson')
  await expect(page.getByRole('heading', { level: 1, name: 'Une leçon avec quiz' })).toBeVisible()
  await expect(page.getByText('Connectez-vous pour répondre au quiz.')).toBeVisible()
  expect((await page.goto('/progress'))?.url()).toContain('/sign-in?next=%2Fprogress')
})

test('signing in with a wrong password says so; the right one gets in', async ({ page, context }) => {
  const account = await signUp(page)
  await page.getByRole('button', { name: 'Se déconnecter' }).click()
  await context.clearCookies()
  await page.goto('/sign-in')
  await page.getByLabel('Adresse e-mail').fill(account.email)
  await page.getByLabel('Mot de passe').fill('wrong-password')
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await expect(page.getByText('E-mail ou mot de passe incorrect.')).toHaveAttribute('role', 'alert')
  await page.getByLabel('Mot de passe').fill(account.password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible()
})

test('on plain http under a school host name (no secure context) the quiz still submits and code still copies', async ({ page, browser }, testInfo) => {
  // Browsers withhold crypto.randomUUID and the Clipboard API outside secure contexts; only
  // localhost counts as one, so the page is opened under another name that resolves to it.
  await signUp(page)
  const cookies = await page.context().cookies()
  const port = new URL(testInfo.project.use.baseURL ?? 'http://localhost:3211').port
  const launchArgs = testInfo.project.use.launchOptions?.args ?? []
  const schoolBrowser = await browser.browserType().launch({
    executablePath: testInfo.project.use.launchOptions?.executablePath,
    args: [...launchArgs, '--host-resolver-rules=MAP quai.ecole 127.0.0.1'],
  })
  try {
    const context = await schoolBrowser.newContext({ locale: 'fr-FR' })
    await context.addCookies(cookies.map(({ name, value, httpOnly, sameSite, expires }) => ({ name, value, httpOnly, sameSite, expires, domain: 'quai.ecole', path: '/', secure: false })))
    const school = await context.newPage()
    await school.goto(`http://quai.ecole:${port}/courses/demo/quiz-lesson`)
    expect(await school.evaluate(() => window.isSecureContext)).toBe(false)
    const quiz = school.getByTestId('quiz')
    await quiz.getByLabel('Quelle adresse le DNS intégré de Docker écoute-t-il ?').fill('127.0.0.11')
    await quiz.getByRole('button', { name: 'Valider mes réponses' }).click()
    await expect(quiz.getByTestId('quiz-result')).toContainText('Score : 1/5')

    await school.goto(`http://quai.ecole:${port}/courses/demo/lecture`)
    // The same button before and after (a name-based locator would move to the next "Copier").
    const copy = school.locator('button.code-action').filter({ hasText: /^(Copier|Copié)$/ }).first()
    await copy.click()
    await expect(copy).toHaveText('Copié')
  } finally {
    await schoolBrowser.close()
  }
})
