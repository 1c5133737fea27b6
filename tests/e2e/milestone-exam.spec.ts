import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { expect, request, test, type Locator, type Page } from '@playwright/test'
import { parse } from 'yaml'
import { curriculumURL } from '../../playwright.config'
import { mintSetupToken, newStudent, signUp } from './support/accounts'
import { watchIntlErrors } from './support/intl-guard'
import { activateExam } from './support/exam'
import { stopLabSandbox } from './support/lab'
import { gotoLoaded } from './support/navigation'

// Issue 17's "done when", on the real curriculum: one milestone of the capstone project
// (projet-escales/jalon-1-image) sat as an exam, start to finish. The instructor sets the exam on
// the milestone and the synthesis; the student's milestone has the clock and no Exécuter, hint,
// solution or live mode (nor their text in the page); the student does part of the work in the
// real terminal, checks, and the instructor's sheet shows a partial grade; then all of it, and
// the sheet and its CSV show full marks. Then the student hands in the synthesis' open answer,
// the instructor grades it with the rubric, and the student reads the grade and the comment.
// Building the API's image in the sandbox takes a while on a small machine: generous timeouts.

// No action waits longer than a minute (the slow steps have their own, longer, expectations).
test.use({ baseURL: curriculumURL, actionTimeout: 60_000 })
const sameOrigin = { origin: curriculumURL }
const course = 'projet-escales'
const milestone = { courseSlug: course, lessonSlug: 'jalon-1-image' }
const imageTitle = "L'image escales-api:1.0"
const containerTitle = "Un conteneur de l'image répond"
const questionTitle = "L'architecture de la pile escales, expliquée"

/** Types a command line in node1's terminal and waits for the row `marker` prints (`OK-42` or `KO-42`, from `$((6*7))`, so the typed line never matches). */
async function run(page: Page, terminal: Locator, command: string, marker: string, timeout: number): Promise<void> {
  await terminal.locator('.xterm').click()
  await page.keyboard.type(`${command} && echo ${marker}-OK-$((6*7)) || echo ${marker}-KO-$((6*7))\n`)
  const row = terminal.locator('.xterm-rows > div', { hasText: new RegExp(`^${marker}-(OK|KO)-42\\s*$`) })
  await expect(row).toBeVisible({ timeout })
  await expect(row).toHaveText(new RegExp(`^${marker}-OK-42\\s*$`))
}

/** Clicks "Vérifier" on an exercise and waits for the check's answer (a build's image is run by one of its checks). */
async function check(page: Page, exercise: Locator): Promise<void> {
  const checked = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/exercises/check', { timeout: 120_000 })
  await exercise.getByRole('button', { name: 'Vérifier' }).click()
  expect((await checked).status()).toBe(200)
}

async function openExercise(panel: Locator, title: string): Promise<Locator> {
  const exercise = panel.getByRole('listitem').filter({ hasText: title })
  const toggle = exercise.getByRole('button', { name: new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).first()
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
  await expect(exercise.getByRole('button', { name: 'Vérifier' })).toBeVisible()
  return exercise
}

test('a project milestone in exam mode, start to finish: no help, partial then full grade on the sheet, the synthesis graded with its rubric', async ({ page, browser }) => {
  test.setTimeout(900_000)
  const started = Date.now()
  // The curriculum server's instructor, made the installer's way with a fresh setup token.
  const teacherApi = await request.newContext({ baseURL: curriculumURL, extraHTTPHeaders: sameOrigin })
  expect((await teacherApi.post('/api/auth/sign-up/email', { data: { ...newStudent(), name: 'Prof Escales' } })).ok()).toBe(true)
  expect((await teacherApi.post('/setup/claim', { data: { token: mintSetupToken('curriculum', curriculumURL) } })).status()).toBe(200)
  const teacherContext = await browser.newContext({ baseURL: curriculumURL, locale: 'fr-FR', storageState: await teacherApi.storageState() })
  await teacherApi.dispose()
  const teacher = await teacherContext.newPage()
  const name = `Projet ${randomUUID().slice(0, 6)}`
  const created = await teacher.request.post('/api/classes', { data: { name, courses: [course] }, headers: sameOrigin })
  expect(created.ok()).toBe(true)
  const { id } = (await created.json()) as { id: string }
  const { joinCode } = (await (await teacher.request.get(`/api/classes/${id}`)).json()) as { joinCode: string }

  const student = await signUp(page)
  const intl = watchIntlErrors(page)
  expect((await page.request.post('/api/classes/join', { data: { code: joinCode }, headers: sameOrigin })).status()).toBe(201)
  const studentId = ((await (await page.request.get('/api/auth/get-session')).json()) as { user: { id: string } }).user.id

  try {
    // The instructor sets the exam on the milestone and the synthesis, from two minutes ago for an hour.
    await gotoLoaded(teacher, `/teach/classes/${id}`)
    const section = teacher.getByRole('region', { name: 'Mode épreuve' })
    await activateExam(teacher, section, [/Jalon 1 : l'image de l'API$/, /Synthèse : expliquer l'architecture du projet$/])
    await expect(section.getByTestId('exam-summary')).toContainText('(en cours) · 2 leçons')

    // The student's milestone: the clock; no Exécuter, hint, solution nor live mode, and not their text in the page.
    await gotoLoaded(page, `/courses/${course}/jalon-1-image`)
    const banner = page.getByRole('region', { name: 'Épreuve en cours' })
    await expect(banner).toBeVisible()
    await expect(banner.getByRole('timer')).toHaveText(/^\d{1,2}:\d\d$/)
    const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
    const terminal = workspace.locator('[data-terminal-node="node1"]')
    await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 240_000 })
    await expect(page.getByRole('button', { name: 'Exécuter' })).toHaveCount(0)
    const panel = page.getByRole('region', { name: 'Exercices' })
    const image = await openExercise(panel, imageTitle)
    await expect(panel.getByRole('button', { name: /Afficher l’indice/ })).toHaveCount(0)
    await expect(panel.getByRole('button', { name: 'Voir la solution' })).toHaveCount(0)
    await expect(panel.getByRole('checkbox', { name: 'Suivi en direct' })).toHaveCount(0)
    await expect(panel.getByTestId('live-exam')).toHaveText('Suivi en direct désactivé pendant l’épreuve : cliquez sur « Vérifier » pour faire vérifier votre travail.')
    await expect(image.getByTestId('exam-attempts')).toHaveText('Aucune vérification pendant l’épreuve')
    const html = await page.content()
    for (const secret of ['npm prune --omit=dev', 'POSTGRES_PASSWORD=essai-local', 'Deux étapes suffisent', 'il faut un réseau que vous créez']) expect(html, secret).not.toContain(secret)

    // Nor through the APIs: hint, solution, and the live stream refuse.
    const { id: sandboxId } = (await (await page.request.post('/api/sandboxes', { data: milestone, headers: sameOrigin })).json()) as { id: string }
    for (const path of ['/api/exercises/hint', '/api/exercises/solution']) {
      const answer = await page.request.post(path, { data: { ...milestone, exerciseId: 'image-de-production', ...(path.endsWith('hint') ? { index: 0 } : {}) }, headers: sameOrigin })
      expect([answer.status(), ((await answer.json()) as { error: { code: string } }).error.code], path).toEqual([403, 'exam_in_progress'])
    }
    const live = await page.request.get(`/api/sandboxes/${sandboxId}/live?${new URLSearchParams({ ...milestone, exerciseId: 'image-de-production' })}`)
    expect([live.status(), ((await live.json()) as { error: { code: string } }).error.code]).toEqual([403, 'exam_in_progress'])

    // Part of the work: the .dockerignore, no image yet. The check gives partial credit.
    await run(page, terminal, "cd /root/lab/projet-escales && printf '%s\\n' node_modules .env '.env.*' '*.log' .git Dockerfile .dockerignore > app/.dockerignore", 'IGNORE', 30_000)
    await check(page, image)
    await expect(image.getByText(/^\d+\/\d+ vérification\(s\) réussie\(s\)$/)).toBeVisible({ timeout: 30_000 })
    await expect(image.getByTestId('exam-attempts')).toHaveText('1 vérification pendant l’épreuve')

    const sheetRow = async () => {
      await gotoLoaded(teacher, `/teach/classes/${id}/grades`)
      const sheet = teacher.getByTestId('grade-sheet')
      await expect(sheet.getByRole('columnheader')).toHaveText(['Étudiant·e', imageTitle, containerTitle, 'Moyenne'])
      return sheet.getByRole('row').filter({ hasText: student.name }).getByRole('cell')
    }
    const partialCells = await sheetRow()
    await expect(partialCells.nth(0)).toHaveText(/^\d+(\.\d)? %$/)
    const partial = (await partialCells.nth(0).textContent())!.replace(' %', '')
    expect(Number(partial)).toBeGreaterThan(0)
    expect(Number(partial)).toBeLessThan(100)
    await expect(partialCells).toHaveText([`${partial} %`, '—', `${Math.round((Number(partial) / 2) * 10) / 10} %`])
    await expect(partialCells.nth(0)).toHaveAttribute('title', '1 vérification')

    // The rest of the milestone: the multi-stage, non-root image with its probe, built offline in the sandbox...
    const dockerfile = [
      'FROM node:20-slim AS build',
      'WORKDIR /app',
      'COPY package.json package-lock.json ./',
      'RUN npm ci',
      'COPY . .',
      'RUN node --test && npm prune --omit=dev',
      'FROM node:20-slim',
      'ENV NODE_ENV=production',
      'WORKDIR /app',
      'COPY --from=build --chown=node:node /app/package.json ./',
      'COPY --from=build --chown=node:node /app/node_modules ./node_modules',
      'COPY --from=build --chown=node:node /app/src ./src',
      'USER node',
      'EXPOSE 3000',
      'HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 CMD ["node", "src/healthcheck.js"]',
      'CMD ["node", "src/server.js"]',
    ]
    await run(page, terminal, `printf '%s\\n' ${dockerfile.map((l) => `'${l}'`).join(' ')} > app/Dockerfile && docker build -q -t escales-api:1.0 app`, 'IMAGE', 600_000)
    // ...and a container of it that answers, next to a throwaway database.
    await run(
      page,
      terminal,
      'docker network create essai && docker run -d --name essai-db --network essai -e POSTGRES_USER=escales -e POSTGRES_PASSWORD=essai-local -e POSTGRES_DB=escales postgres:17 && ' +
        'docker run -d --name essai-api --network essai -p 8000:3000 -e PGHOST=essai-db -e PGUSER=escales -e PGPASSWORD=essai-local -e PGDATABASE=escales escales-api:1.0 && ' +
        `for i in $(seq 1 120); do [ "$(docker inspect -f '{{.State.Health.Status}}' essai-api)" = healthy ] && break; sleep 1; done; [ "$(docker inspect -f '{{.State.Health.Status}}' essai-api)" = healthy ]`,
      'ESSAI',
      300_000,
    )
    await check(page, image)
    await expect(image.getByText('Exercice réussi : tout est en place.')).toBeVisible({ timeout: 30_000 })
    await expect(image.getByTestId('exam-attempts')).toHaveText('2 vérifications pendant l’épreuve')
    const container = await openExercise(panel, containerTitle)
    await check(page, container)
    await expect(container.getByText('Exercice réussi : tout est en place.')).toBeVisible({ timeout: 30_000 })

    // The sheet: full marks on the milestone, and the CSV agrees.
    const fullCells = await sheetRow()
    await expect(fullCells).toHaveText(['100 %', '100 %', '100 %'])
    await expect(fullCells.nth(0)).toHaveAttribute('title', '2 vérifications')
    const csv = await teacher.request.get(`/api/classes/${id}/grades/export`)
    expect(csv.status()).toBe(200)
    const lines = (await csv.body()).toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n')
    // The course's title (it has a comma: quoted in the CSV).
    const { title } = parse(fs.readFileSync(path.join('content/courses', course, 'course.yaml'), 'utf8')) as { title: string }
    expect(title).toContain(',')
    const courseTitle = `"${title}"`
    expect(lines.slice(1).sort()).toEqual(
      [
        `${student.name};${student.email};${courseTitle};Jalon 1 : l'image de l'API;${imageTitle};100;2`,
        `${student.name};${student.email};${courseTitle};Jalon 1 : l'image de l'API;${containerTitle};100;1`,
      ].sort(),
    )

    // The synthesis, in the same exam: the student answers and hands in.
    await gotoLoaded(page, `/courses/${course}/synthese`)
    await expect(page.getByRole('region', { name: 'Épreuve en cours' })).toBeVisible()
    const card = page.getByRole('region', { name: questionTitle })
    const answer = 'front : proxy et api ; back (interne) : api, db, cache ; monitoring : api, prometheus, alertmanager.\nLe TLS se termine au proxy.'
    await card.getByLabel('Votre réponse').fill(answer)
    await card.getByRole('button', { name: 'Rendre la réponse' }).click()
    await expect(card.getByTestId('open-answer-status')).toHaveText(/^Rendue le .+, en attente de correction\.$/)

    // The instructor grades it in the queue, with the rubric: points per criterion and a comment.
    await gotoLoaded(teacher, `/teach/classes/${id}/open-answers`)
    const entry = teacher.getByTestId('open-questions').getByRole('listitem').filter({ hasText: questionTitle })
    await expect(entry).toContainText('1 à corriger · aucune corrigée')
    await entry.getByRole('link', { name: questionTitle }).click()
    const item = teacher.getByTestId('open-answers').getByRole('listitem').filter({ hasText: student.name })
    await expect(item.getByTestId('answer-text')).toHaveText(answer)
    const grading = item.getByRole('form', { name: `Correction de la réponse de ${student.name}` })
    for (const [label, points] of [
      ['Les deux schémas sont complets et justes (sur 4)', '3'],
      ['Le cloisonnement est justifié (sur 4)', '3.5'],
      ['TLS et surface exposée (sur 3)', '2'],
      ['Ce que Swarm change (sur 4)', '2'],
      ["La chronologie d'une panne de l'API (sur 3)", '1'],
      ['Précision et clarté (sur 2)', '2'],
    ] as const) {
      await grading.getByLabel(label).fill(points)
    }
    await expect(grading.getByText('Total : 13,5 / 20')).toBeVisible()
    const feedback = 'Cloisonnement bien justifié. Il manque la chronologie de l’alerte, minute par minute.'
    await grading.getByLabel("Commentaire pour l'élève").fill(feedback)
    await grading.getByRole('button', { name: 'Enregistrer la correction' }).click()
    await expect(grading.getByRole('status')).toHaveText('Correction enregistrée : 13,5 / 20.')

    // The student's page in the instructor's space lists the answer, its grade and the comment.
    await gotoLoaded(teacher, `/teach/classes/${id}/students/${studentId}`)
    const listed = teacher.getByTestId('student-open-answers').getByRole('listitem').filter({ hasText: questionTitle })
    await expect(listed.getByTestId('open-answer-status')).toHaveText(/^rendue le .+, corrigée$/)
    await expect(listed.getByTestId('open-answer-grade')).toHaveText('Note : 13,5 / 20 (67,5 %)')
    await expect(listed.getByTestId('open-answer-feedback')).toHaveText(`Commentaire : « ${feedback} »`)
    expect(await listed.getByRole('link', { name: 'Revoir dans la file' }).getAttribute('href')).toBe(`/teach/classes/${id}/open-answers?question=${encodeURIComponent(`${course}/synthese/architecture-du-projet`)}`)

    // The student reads the grade per criterion and the comment on the synthesis.
    await gotoLoaded(page, `/courses/${course}/synthese`)
    await expect(card.getByTestId('open-answer-status')).toHaveText('Corrigée : 13,5 / 20.')
    const grade = card.getByTestId('open-answer-grade')
    await expect(grade.getByRole('listitem')).toHaveText([
      'Les deux schémas sont complets et justes : 3 / 4',
      'Le cloisonnement est justifié : 3,5 / 4',
      'TLS et surface exposée : 2 / 3',
      'Ce que Swarm change : 2 / 4',
      "La chronologie d'une panne de l'API : 1 / 3",
      'Précision et clarté : 2 / 2',
    ])
    await expect(grade.getByTestId('open-answer-feedback')).toHaveText(feedback)
    intl.expectNone()
  } finally {
    await stopLabSandbox(page, milestone)
    await teacher.request.delete(`/api/classes/${id}/exam`, { headers: sameOrigin }).catch(() => undefined)
    await teacherContext.close()
    console.log(`milestone exam spec: ${Math.round((Date.now() - started) / 1000)} s`)
  }
})
