import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { expect, test } from './support/test'
import { signUp } from './support/accounts'
import { checkExercise, openLab } from './support/lab'
import { callFromPage } from './support/page-api'

// Work that survives a break (docs/persistence.md), in Chromium on a real sandbox: a passed
// "Vérifier" keeps a step that the learner goes back to after a confirmation; a stopped
// sandbox comes back with its files and containers and says so; "Recommencer à zéro" gives a
// fresh one.
test('a learner goes back to a passed step, finds the work again after a stop, and starts over from scratch', async ({ page, browser }) => {
  test.setTimeout(300_000)
  await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const rows = terminal.locator('.xterm-rows > div')
  const type = async (command: string) => {
    await terminal.locator('.xterm').click({ timeout: 5000 })
    await page.keyboard.type(`${command}\n`)
  }
  const panel = page.getByRole('region', { name: 'Exercices' }).last()

  await type('docker network create demo-net >/dev/null && echo mine > note.txt && echo made-$((40+2))')
  await expect(rows.filter({ hasText: /^made-42\s*$/ })).toBeVisible({ timeout: 60_000 })
  const checked = await checkExercise(page, panel)
  expect(((await checked.json()) as { result: { passed: boolean } }).result.passed).toBe(true)
  const mineId = ((await callFromPage(page, 'POST', '/api/sandboxes', { courseSlug: 'demo', lessonSlug: 'labo' })).json as { id: string }).id

  // Another learner reaches none of it, through any of the APIs.
  const steps0 = await callFromPage(page, 'GET', `/api/sandboxes/${mineId}/steps`)
  expect(steps0.status).toBe(200)
  const stepId = (steps0.json as { steps: { id: string }[] }).steps[0]!.id
  const other = await browser.newContext()
  const stranger = await other.newPage()
  await signUp(stranger)
  expect((await callFromPage(stranger, 'GET', `/api/sandboxes/${mineId}/steps`)).status).toBe(403)
  expect((await callFromPage(stranger, 'POST', `/api/sandboxes/${mineId}/steps/${stepId}/restore`, { confirm: true })).status).toBe(404)
  const ownSandbox = (await callFromPage(stranger, 'POST', '/api/sandboxes', { courseSlug: 'demo', lessonSlug: 'labo' })).json as { id: string }
  // Someone else's step id against one's own sandbox: no such step.
  expect((await callFromPage(stranger, 'POST', `/api/sandboxes/${ownSandbox.id}/steps/${stepId}/restore`, { confirm: true })).status).toBe(404)
  expect((await callFromPage(stranger, 'POST', `/api/sandboxes/${ownSandbox.id}/steps/${stepId}/restore`, {})).status).toBe(422)
  expect((await callFromPage(stranger, 'DELETE', '/api/kept-work?course=demo&lesson=labo')).json).toEqual({ discarded: false })
  expect((await callFromPage(stranger, 'POST', `/api/classes/nosuchclass/students/x/steps/${stepId}/restore`, { confirm: true })).status).toBe(403)
  await callFromPage(stranger, 'DELETE', `/api/sandboxes/${ownSandbox.id}`)
  await other.close()

  // Later changes, then back to the step.
  await type('echo later > note.txt && docker network rm demo-net >/dev/null && echo changed-$((40+3))')
  await expect(rows.filter({ hasText: /^changed-43\s*$/ })).toBeVisible({ timeout: 30_000 })
  await workspace.getByRole('tab', { name: 'Étapes' }).click()
  const steps = workspace.getByRole('region', { name: 'Étapes du bac à sable' })
  await expect(steps.locator('[data-step="reseau"]')).toBeVisible()
  await steps.getByRole('button', { name: 'Revenir à cette étape' }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog).toContainText('sera perdu')
  await dialog.getByRole('button', { name: 'Revenir à cette étape' }).click()
  // The nodes restarted: new terminals (a new generation of them), on the step's state.
  await expect(workspace).toHaveAttribute('data-workspace-generation', '1', { timeout: 90_000 })
  await workspace.getByRole('tab', { name: 'Terminal node1' }).click()
  await expect(workspace.locator('[data-terminal-node="node1"]')).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  const back = workspace.locator('[data-terminal-node="node1"]')
  await back.locator('.xterm').click()
  await page.keyboard.type('echo "$(cat note.txt)-$(docker network ls -q -f name=demo-net | wc -l)-back"\n')
  await expect(back.locator('.xterm-rows > div', { hasText: /^mine-1-back\s*$/ })).toBeVisible({ timeout: 30_000 })

  // Stopped, then opened again: the work is back, and the page says so.
  await workspace.getByRole('button', { name: 'Arrêter' }).click()
  await expect(page.getByRole('dialog')).toContainText('est gardé')
  await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 60_000 })
  // The course page says the lesson's work is kept (once its disk is kept: the stop finishes in the background).
  await expect(async () => {
    await page.goto('/courses/demo')
    await expect(page.locator('[data-lesson="labo"] [data-kept-work="kept"]')).toContainText('Votre travail est gardé', { timeout: 2000 })
  }).toPass({ timeout: 60_000 })
  const again = await openLab(page)
  await expect(again.workspace.locator('[data-kept-notice="resumed"]')).toContainText('Repris là où vous en étiez')
  await again.terminal.locator('.xterm').click()
  await page.keyboard.type('echo "$(cat note.txt)-resumed"\n')
  await expect(again.terminal.locator('.xterm-rows > div', { hasText: /^mine-resumed\s*$/ })).toBeVisible({ timeout: 30_000 })

  // The learner's own copy of the folder: a .tar.gz with the file in it.
  await again.workspace.getByRole('tab', { name: 'Fichiers' }).click()
  const [download] = await Promise.all([page.waitForEvent('download'), again.workspace.getByRole('link', { name: 'Télécharger le dossier' }).click()])
  expect(download.suggestedFilename()).toBe('labo.tar.gz')
  const saved = path.join(test.info().outputDir, 'labo.tar.gz')
  await download.saveAs(saved)
  expect(execFileSync('tar', ['-xzOf', saved, './note.txt'], { encoding: 'utf8' })).toBe('mine\n')
  await again.workspace.getByRole('tab', { name: 'Terminal node1' }).click()

  // Kept work is listed with its space on the progress page.
  const progress = await page.context().newPage()
  await progress.goto('/progress')
  await expect(progress.locator('[data-kept-lesson="demo/labo"]')).toContainText('en cours d’utilisation')
  await progress.close()

  // Start over from scratch: a fresh sandbox, without the file.
  await again.workspace.locator('[data-kept-notice="resumed"]').getByRole('button', { name: 'Recommencer à zéro' }).click()
  await expect(page.getByRole('dialog')).toContainText('supprimés')
  await page.getByRole('dialog').getByRole('button', { name: 'Réinitialiser' }).click()
  const fresh = again.workspace.locator('[data-terminal-node="node1"]')
  await expect(fresh).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  await fresh.locator('.xterm').click()
  await page.keyboard.type('ls note.txt 2>/dev/null | wc -l | sed "s/^/files-/"\n')
  await expect(fresh.locator('.xterm-rows > div', { hasText: /^files-0\s*$/ })).toBeVisible({ timeout: 30_000 })
  await again.workspace.getByRole('button', { name: 'Arrêter' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()

  // Kept again once stopped: the progress page removes it, after the browser's confirmation.
  const list = await page.context().newPage()
  const row = list.locator('[data-kept-lesson="demo/labo"]')
  await expect(async () => {
    await list.goto('/progress')
    await expect(row.getByRole('button', { name: 'Supprimer' })).toBeVisible({ timeout: 2000 })
  }).toPass({ timeout: 60_000 })
  list.once('dialog', (dialog) => void dialog.accept())
  await row.getByRole('button', { name: 'Supprimer' }).click()
  await expect(row).toHaveCount(0, { timeout: 15_000 })
  await list.close()
})
