import { expect, test } from '@playwright/test'
import { signUp } from './support/accounts'
import { openLab } from './support/lab'

// The exercise panel in Chromium, on a real sandbox: "Vérifier" explains what is missing,
// live mode ticks the checklist as the learner types in the terminal, the diagram follows,
// hints come one at a time and the solution asks for confirmation.
test('a learner checks an exercise, watches it update live, and reads hints and the solution', async ({ page }) => {
  test.setTimeout(240_000)
  await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const panel = page.getByRole('region', { name: 'Exercices' }).last()

  // The first exercise is open; "Vérifier" on the empty sandbox says what is missing.
  await expect(panel.getByRole('button', { name: /Exercice 1 · Créer le réseau demo-net/ })).toHaveAttribute('aria-expanded', 'true')
  await panel.getByRole('button', { name: 'Vérifier' }).click()
  const missing = panel.locator('[data-assertion="network:demo-net:exists"]')
  await expect(missing).toHaveAttribute('data-state', 'failed')
  await expect(missing).toContainText('aucun réseau nommé demo-net')
  await expect(panel.getByRole('status')).toHaveText('0/2 vérification(s) réussie(s)')

  // Hints, in order.
  await panel.getByRole('button', { name: 'Afficher l’indice 1 sur 2' }).click()
  await expect(panel).toContainText('Regardez docker network create.')
  await expect(panel.getByRole('button', { name: 'Afficher l’indice 2 sur 2' })).toBeVisible()

  // Live: the learner creates the network in the terminal; the checklist ticks by itself.
  await expect(panel).toContainText('En direct', { timeout: 30_000 })
  await terminal.locator('.xterm').click()
  await page.keyboard.type('docker network create demo-net\n')
  await expect(missing).toHaveAttribute('data-state', 'passed', { timeout: 30_000 })
  await expect(panel.getByRole('button', { name: /Exercice 1 · Créer le réseau demo-net/ })).toContainText('Terminé')
  await expect(panel.getByRole('img', { name: /Nœud node1/ })).toBeVisible()
  await expect(panel.locator('details', { hasText: 'Version texte du schéma' })).toBeAttached()

  // The second exercise: the solution is behind a confirmation.
  await panel.getByRole('button', { name: /Exercice 2 · Démarrer web sur demo-net/ }).click()
  await panel.getByRole('button', { name: 'Voir la solution' }).click()
  const confirm = panel.getByRole('alertdialog')
  await expect(confirm).toContainText('Afficher la solution ?')
  await confirm.getByRole('button', { name: 'Oui, afficher' }).click()
  await expect(panel.locator('pre', { hasText: 'docker run -d --name web --network demo-net busybox sleep 3600' })).toBeVisible()

  // Leave nothing behind: stop the sandbox (the live stream ends with it).
  await workspace.getByRole('button', { name: 'Arrêter' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
})
