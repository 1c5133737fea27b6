import { randomUUID } from 'node:crypto'
import { expect, test } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { instructorState, signUp } from './support/accounts'
import { watchIntlErrors } from './support/intl-guard'
import { activateExam } from './support/exam'
import { checkExercise, openLab, stopLabSandbox } from './support/lab'
import { gotoLoaded } from './support/navigation'

// Exam mode end to end, on the fixture course "demo" (labo: exercises reseau, with two hints, and
// conteneur): the instructor sets it on the class dashboard; the student's lesson has no hint,
// solution or Exécuter button and shows the clock; the help APIs refuse; the student's check
// reaches the instructor's grade sheet and its CSV.

const sameOrigin = { origin: baseURL }

test('an exam: no help for the student, a clock, a check graded on the sheet and in the CSV', async ({ page, browser }) => {
  test.setTimeout(240_000)
  const teacherContext = await browser.newContext({ storageState: instructorState })
  const teacher = await teacherContext.newPage()
  const name = `Épreuve ${randomUUID().slice(0, 6)}`
  const created = await teacher.request.post('/api/classes', { data: { name, courses: ['demo'] }, headers: sameOrigin })
  expect(created.ok()).toBe(true)
  const { id } = (await created.json()) as { id: string }
  const { joinCode } = (await (await teacher.request.get(`/api/classes/${id}`)).json()) as { joinCode: string }

  const student = await signUp(page)
  // The exam banner and the panel in an exam: every message they read is sent.
  const intl = watchIntlErrors(page)
  expect((await page.request.post('/api/classes/join', { data: { code: joinCode }, headers: sameOrigin })).status()).toBe(201)

  // A student can never set exam mode, even on their own class.
  const window = { startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString() }
  const refused = await page.request.put(`/api/classes/${id}/exam`, { data: window, headers: sameOrigin })
  expect(refused.status()).toBe(403)

  try {
    // The instructor sets it on the dashboard: from two minutes ago for an hour, on the lab only.
    await gotoLoaded(teacher, `/teach/classes/${id}`)
    const section = teacher.getByRole('region', { name: 'Mode épreuve' })
    await expect(section.getByTestId('exam-summary')).toHaveText("Aucune épreuve n'est réglée.")
    await activateExam(teacher, section, ['Cours de démonstration — Un TP'])
    await expect(section.getByTestId('exam-summary')).toContainText('(en cours) · 1 leçon : Un TP')

    // The student's lesson: the clock, no Exécuter or Coller, no hint nor solution, and not even their text in the page.
    const { terminal } = await openLab(page)
    const banner = page.getByRole('region', { name: 'Épreuve en cours' })
    await expect(banner).toBeVisible()
    await expect(banner.getByRole('timer')).toHaveText(/^\d{1,2}:\d\d$/)
    await expect(page.getByRole('button', { name: 'Copier' }).first()).toBeVisible()
    await expect(page.getByRole('button', { name: 'Exécuter' })).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Coller' })).toHaveCount(0)
    const panel = page.getByRole('region', { name: 'Exercices' })
    const exercise = panel.getByRole('listitem').filter({ hasText: 'Créer le réseau demo-net' })
    const toggle = exercise.getByRole('button', { name: /Créer le réseau demo-net/ })
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
    await expect(exercise.getByRole('button', { name: 'Vérifier' })).toBeVisible()
    await expect(exercise.getByRole('button', { name: /Afficher l’indice/ })).toHaveCount(0)
    await expect(exercise.getByRole('button', { name: 'Voir la solution' })).toHaveCount(0)
    await expect(exercise.getByTestId('exam-attempts')).toHaveText('Aucune vérification pendant l’épreuve')
    expect(await page.content()).not.toContain('La commande complète est docker network create demo-net')

    // The APIs that reveal a hint or the solution refuse.
    for (const path of ['/api/exercises/hint', '/api/exercises/solution']) {
      const answer = await page.request.post(path, { data: { courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', ...(path.endsWith('hint') ? { index: 0 } : {}) }, headers: sameOrigin })
      expect(answer.status(), path).toBe(403)
      const body = (await answer.json()) as { error: { code: string } }
      expect(body.error.code).toBe('exam_in_progress')
      expect(JSON.stringify(body)).not.toContain('docker network')
    }

    // The student does the work in the terminal and checks it: counted and shown.
    await terminal.locator('.xterm').click()
    await page.keyboard.type('docker network create demo-net\n')
    await expect(terminal.locator('.xterm-rows > div', { hasText: /^[0-9a-f]{64}\s*$/ })).toBeVisible({ timeout: 60_000 })
    expect((await checkExercise(page, exercise)).status()).toBe(200)
    await expect(exercise.getByText('Exercice réussi : tout est en place.')).toBeVisible({ timeout: 30_000 })
    await expect(exercise.getByTestId('exam-attempts')).toHaveText('1 vérification pendant l’épreuve')

    // The grade on the instructor's sheet, and in its CSV. The dashboard only links to the
    // sheet (its cells would weigh on every look at a big class): it opens on its own page.
    await gotoLoaded(teacher, `/teach/classes/${id}`)
    const grades = teacher.getByRole('region', { name: 'Feuille de notes' })
    await expect(grades.getByTestId('grade-sheet-size')).toHaveText('1 étudiant·e × 2 exercices')
    await expect(teacher.getByTestId('grade-sheet')).toHaveCount(0)
    await grades.getByRole('link', { name: 'Ouvrir la feuille de notes' }).click()
    await expect(teacher).toHaveURL(`${baseURL}/teach/classes/${id}/grades`)
    await expect(teacher.getByRole('heading', { level: 1 })).toHaveText(`Feuille de notes · ${name}`)
    await expect(teacher.getByRole('main')).toContainText("Notes de l'épreuve du ")
    const sheet = teacher.getByTestId('grade-sheet')
    await expect(sheet.getByRole('columnheader')).toHaveText(['Étudiant·e', 'Créer le réseau demo-net', 'Démarrer web sur demo-net', 'Moyenne'])
    const row = sheet.getByRole('row').filter({ hasText: student.name })
    await expect(row.getByRole('cell')).toHaveText(['100 %', '—', '50 %'])
    await expect(row.getByRole('cell').first()).toHaveAttribute('title', '1 vérification')
    // One page: no pager.
    await expect(teacher.getByRole('navigation', { name: 'Pages de la feuille de notes' })).toHaveCount(0)
    expect(await teacher.getByRole('link', { name: 'Exporter les notes en CSV' }).getAttribute('href')).toBe(`/api/classes/${id}/grades/export`)
    await teacher.getByRole('link', { name: `Tableau de bord de ${name}` }).click()
    await expect(teacher).toHaveURL(`${baseURL}/teach/classes/${id}`)
    const csv = await teacher.request.get(`/api/classes/${id}/grades/export`)
    expect(csv.status()).toBe(200)
    expect(csv.headers()['content-type']).toContain('text/csv')
    const lines = (await csv.body()).toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n')
    expect(lines[0]).toBe('Nom;E-mail;Cours;Leçon;Exercice;Meilleure note (%);Vérifications')
    expect(lines).toContain(`${student.name};${student.email};Cours de démonstration;Un TP;Créer le réseau demo-net;100;1`)
    expect(lines).toContain(`${student.name};${student.email};Cours de démonstration;Un TP;Démarrer web sur demo-net;;0`)

    // The instructor ends the exam: the student's lesson is back to normal, the sheet keeps the exam's grades.
    teacher.once('dialog', (dialog) => void dialog.accept())
    await section.getByRole('button', { name: "Terminer l'épreuve" }).click()
    await expect(section.getByTestId('exam-summary')).toContainText('(terminée)')
    await expect(section.getByRole('button', { name: "Retirer l'épreuve" })).toBeVisible()
    await gotoLoaded(teacher, `/teach/classes/${id}/grades`)
    await expect(teacher.getByTestId('grade-sheet').getByRole('row').filter({ hasText: student.name }).getByRole('cell')).toHaveText(['100 %', '—', '50 %'])
    await gotoLoaded(page, '/courses/demo/labo')
    await expect(page.getByRole('button', { name: 'Exécuter' }).first()).toBeVisible({ timeout: 30_000 })
    await expect(page.getByRole('region', { name: 'Épreuve en cours' })).toHaveCount(0)
    const after = page.getByRole('region', { name: 'Exercices' }).getByRole('listitem').filter({ hasText: 'Démarrer web sur demo-net' })
    const afterToggle = after.getByRole('button', { name: /Démarrer web sur demo-net/ })
    if ((await afterToggle.getAttribute('aria-expanded')) !== 'true') await afterToggle.click()
    await expect(after.getByRole('button', { name: 'Voir la solution' })).toBeVisible()
    intl.expectNone()
    expect((await page.request.post('/api/exercises/hint', { data: { courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', index: 0 }, headers: sameOrigin })).status()).toBe(200)
  } finally {
    await stopLabSandbox(page)
    await teacher.request.delete(`/api/classes/${id}/exam`, { headers: sameOrigin })
    await teacherContext.close()
  }
})

test('an exam that begins while the lesson is open turns the page to exam mode by itself', async ({ page, browser }) => {
  test.setTimeout(180_000)
  const teacherContext = await browser.newContext({ storageState: instructorState })
  const teacher = await teacherContext.newPage()
  const created = await teacher.request.post('/api/classes', { data: { name: `Épreuve en cours de route ${randomUUID().slice(0, 6)}`, courses: ['demo'] }, headers: sameOrigin })
  const { id } = (await created.json()) as { id: string }
  const { joinCode } = (await (await teacher.request.get(`/api/classes/${id}`)).json()) as { joinCode: string }
  await signUp(page)
  expect((await page.request.post('/api/classes/join', { data: { code: joinCode }, headers: sameOrigin })).status()).toBe(201)
  try {
    // Reading, live mode on, help offered.
    const { workspace } = await openLab(page)
    const panel = workspace.getByRole('region', { name: 'Exercices' }).first()
    await expect(panel.getByRole('checkbox', { name: 'Suivi en direct' })).toBeChecked()
    await expect(page.getByRole('button', { name: 'Exécuter' }).first()).toBeVisible()
    await expect(page.getByRole('region', { name: 'Épreuve en cours' })).toHaveCount(0)

    // The instructor starts an exam on the lesson: the open live stream ends (the server looks
    // every 15 s), its reconnect is refused, and the page renders again without help, with the clock.
    const now = Date.now()
    const set = await teacher.request.put(`/api/classes/${id}/exam`, {
      data: { startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), lessons: ['demo/labo'] },
      headers: sameOrigin,
    })
    expect(set.status()).toBe(200)
    await expect(page.getByRole('region', { name: 'Épreuve en cours' })).toBeVisible({ timeout: 60_000 })
    await expect(page.getByRole('button', { name: 'Exécuter' })).toHaveCount(0)
    await expect(panel.getByRole('checkbox', { name: 'Suivi en direct' })).toHaveCount(0)
    // The terminal is the same one: the page was not reloaded.
    await expect(workspace.locator('[data-terminal-node="node1"]')).toHaveAttribute('data-terminal-state', 'open')
  } finally {
    await stopLabSandbox(page)
    await teacher.request.delete(`/api/classes/${id}/exam`, { headers: sameOrigin })
    await teacherContext.close()
  }
})
