import { randomUUID } from 'node:crypto'
import { expect, test } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { instructor, instructorState, signUp } from './support/accounts'
import { gotoLoaded } from './support/navigation'

// An open question end to end, on the fixture lesson demo/quiz-lesson (question schema-reseau:
// text and/or one file; rubric "Le DNS intégré" 3 + "Clarté" 2): the learner answers with a
// text and a small image; the instructor finds it from the class dashboard, grades it with the
// rubric and a comment; the learner sees the grade per criterion and the comment, and the answer
// is locked. Another learner cannot download the file.

const sameOrigin = { origin: baseURL }
// A 1×1 PNG.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

test('a learner answers an open question with a text and a file; the instructor grades it with the rubric; the learner reads the grade and the comment', async ({ page, browser }) => {
  test.setTimeout(120_000)
  const teacherContext = await browser.newContext({ storageState: instructorState })
  const teacher = await teacherContext.newPage()
  const created = await teacher.request.post('/api/classes', { data: { name: `Questions ${randomUUID().slice(0, 6)}`, courses: ['demo'] }, headers: sameOrigin })
  expect(created.ok()).toBe(true)
  const { id } = (await created.json()) as { id: string }
  const { joinCode } = (await (await teacher.request.get(`/api/classes/${id}`)).json()) as { joinCode: string }

  const student = await signUp(page)
  expect((await page.request.post('/api/classes/join', { data: { code: joinCode }, headers: sameOrigin })).status()).toBe(201)

  // The learner answers: a text and a small image, handed in.
  await gotoLoaded(page, '/courses/demo/quiz-lesson')
  const card = page.getByRole('region', { name: 'Le schéma du réseau de démonstration' })
  await expect(card.getByTestId('open-answer-status')).toHaveText('Pas encore de réponse.')
  await card.locator('summary', { hasText: 'Grille de correction' }).click()
  await expect(card.getByText('Le DNS intégré (3 points)')).toBeVisible()
  const answer = 'Le DNS intégré de Docker (127.0.0.11) résout les noms\nsur un réseau créé par l’utilisateur.'
  await card.getByLabel('Votre réponse').fill(answer)
  await card.getByLabel('Fichier joint').setInputFiles({ name: 'schema.png', mimeType: 'image/png', buffer: png })
  await card.getByRole('button', { name: 'Rendre la réponse' }).click()
  await expect(card.getByRole('status').filter({ hasText: 'Réponse rendue.' })).toBeVisible()
  await expect(card.getByTestId('open-answer-status')).toHaveText(/^Rendue le .+, en attente de correction\.$/)
  const fileLink = card.getByRole('link', { name: /^Fichier joint : schema\.png/ })
  const fileUrl = await fileLink.getAttribute('href')
  expect(fileUrl).toMatch(/^\/api\/open-answers\/[^/]+\/file$/)

  // Another learner cannot download it.
  const strangerContext = await browser.newContext()
  const stranger = await strangerContext.newPage()
  await signUp(stranger)
  expect((await stranger.request.get(fileUrl!)).status()).toBe(404)
  await strangerContext.close()

  // The instructor goes from the class dashboard to the open answers, and to this question.
  await gotoLoaded(teacher, `/teach/classes/${id}`)
  await teacher.getByRole('navigation', { name: 'Sections de la classe' }).getByRole('link', { name: 'Questions ouvertes à corriger' }).click()
  await expect(teacher).toHaveURL(new RegExp(`/teach/classes/${id}/open-answers$`))
  const entry = teacher.getByTestId('open-questions').getByRole('listitem').filter({ hasText: 'Le schéma du réseau de démonstration' })
  await expect(entry).toContainText('1 à corriger · aucune corrigée')
  await entry.getByRole('link', { name: 'Le schéma du réseau de démonstration' }).click()
  const item = teacher.getByTestId('open-answers').getByRole('listitem').filter({ hasText: student.name })
  await expect(item.getByTestId('answer-text')).toHaveText(answer)
  await expect(item.getByRole('img', { name: 'schema.png' })).toBeVisible()
  const file = await teacher.request.get(fileUrl!)
  expect([file.status(), file.headers()['content-type'], file.headers()['content-disposition']]).toEqual([200, 'image/png', "attachment; filename*=UTF-8''schema.png"])

  const form = item.getByRole('form', { name: `Correction de la réponse de ${student.name}` })
  await form.getByLabel('Le DNS intégré (sur 3)').fill('2.5')
  await form.getByLabel('Clarté (sur 2)').fill('2')
  await expect(form.getByText('Total : 4,5 / 5')).toBeVisible()
  await form.getByLabel("Commentaire pour l'élève").fill('Très juste. Ajoutez le nom du réseau sur le schéma.')
  await form.getByRole('button', { name: 'Enregistrer la correction' }).click()
  await expect(form.getByRole('status')).toHaveText('Correction enregistrée : 4,5 / 5.')
  await expect(form.getByTestId('graded-by')).toHaveText(new RegExp(`^Corrigée par ${instructor.name} le .+ : 4,5 / 5$`))

  // The learner reads the grade per criterion and the comment; the answer can no longer change.
  await gotoLoaded(page, '/courses/demo/quiz-lesson')
  await expect(card.getByTestId('open-answer-status')).toHaveText('Corrigée : 4,5 / 5.')
  const grade = card.getByTestId('open-answer-grade')
  await expect(grade.getByRole('listitem')).toHaveText(['Le DNS intégré : 2,5 / 3', 'Clarté : 2 / 2'])
  await expect(grade.getByTestId('open-answer-feedback')).toHaveText('Très juste. Ajoutez le nom du réseau sur le schéma.')
  await expect(grade).toContainText(`Corrigée par ${instructor.name} le `)
  await expect(card.getByRole('button', { name: /Rendre/ })).toHaveCount(0)
  await expect(card.getByText('Cette réponse est corrigée')).toBeVisible()
  await expect(card.getByTestId('open-answer-text')).toHaveText(answer)

  // The instructor's list counts it as graded.
  await gotoLoaded(teacher, `/teach/classes/${id}/open-answers`)
  await expect(entry).toContainText('rien à corriger · 1 corrigée')
  await teacherContext.close()
})
