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

// Live mode in a class: a cut connection comes back by itself (offline, then refusals that a new
// attempt fixes), and the progress earned before a reset is still shown after it, without a
// reload. While the new sandbox's live stream is refused, the count can only come from what
// the panel already knew, not from a live result.
test('live mode reconnects by itself after a cut, and a reset keeps the progress already earned', async ({ page, context }) => {
  test.setTimeout(300_000)
  await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const panel = page.getByRole('region', { name: 'Exercices' }).last()
  const first = panel.getByRole('button', { name: /Exercice 1 · Créer le réseau demo-net/ })
  await expect(panel).toContainText('En direct', { timeout: 30_000 })
  await expect(panel).toContainText('0/2 exercice(s) terminé(s)')

  // Offline: the panel says so, without calling the sandbox broken, and comes back by itself.
  await context.setOffline(true)
  await expect(panel).toContainText('Hors ligne : le suivi en direct reprendra au retour du réseau.')
  await expect(panel).not.toContainText('Suivi en direct interrompu')
  await context.setOffline(false)
  await expect(panel).toContainText('En direct', { timeout: 60_000 })

  // The stream it reconnected is a live one: the checklist ticks as the learner types.
  await terminal.locator('.xterm').click()
  await page.keyboard.type('docker network create demo-net\n')
  await expect(panel.locator('[data-assertion="network:demo-net:exists"]')).toHaveAttribute('data-state', 'passed', { timeout: 30_000 })
  await expect(first).toContainText('Terminé')
  await expect(panel).toContainText('1/2 exercice(s) terminé(s)')

  // From now on the live route refuses: once "too many" with a Retry-After, then "unavailable".
  const refusals: number[] = []
  const isLive = (url: URL) => url.pathname.startsWith('/api/sandboxes/') && url.pathname.endsWith('/live')
  await page.route(isLive, (route) => {
    refusals.push(refusals.length === 0 ? 429 : 503)
    return refusals.length === 1
      ? route.fulfill({ status: 429, headers: { 'retry-after': '2' }, json: { error: { code: 'rate_limited', message: 'too many live connections', retryAfterSeconds: 2 } } })
      : route.fulfill({ status: 503, json: { error: { code: 'daemon_unavailable', message: 'not now' } } })
  })

  // Reset: the panel comes back on a fresh sandbox with the progress already earned.
  await workspace.getByRole('button', { name: 'Réinitialiser' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Réinitialiser' }).click()
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ready', { timeout: 120_000 })
  await expect(panel).toContainText('1/2 exercice(s) terminé(s)')
  await expect(first).toContainText('Terminé')
  // After the 429 it tried again (and was refused with a 503): still trying, not given up.
  await expect.poll(() => refusals.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2)
  await expect(panel).toContainText('Connexion au suivi en direct perdue ; reconnexion automatique…', { timeout: 30_000 })
  await expect(panel).not.toContainText('Suivi en direct interrompu')

  // The route answers again: the panel is live on the new sandbox by itself.
  await page.unroute(isLive)
  await expect(panel).toContainText('En direct', { timeout: 90_000 })
  await expect(panel).toContainText('1/2 exercice(s) terminé(s)')

  await workspace.getByRole('button', { name: 'Arrêter' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
})
