import { expect, test } from '@playwright/test'
import { signUp } from './support/accounts'

// A real sandbox (Docker-in-Docker on the host engine), the real terminal in Chromium.
test('a learner opens a hands-on lesson, runs docker in the terminal and sees the output', async ({ page }) => {
  test.setTimeout(180_000)
  await signUp(page)
  await page.goto('/courses/demo/labo')

  const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
  await expect(workspace.getByRole('tab', { name: 'Terminal node1' })).toBeVisible({ timeout: 60_000 })
  const terminal = workspace.locator('[data-terminal-node="node1"]')
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 30_000 })
  await expect(workspace.getByText(/Temps restant/)).toBeVisible()

  await terminal.locator('.xterm').click()
  await page.keyboard.type('docker run --rm busybox echo bonjour-quai\n')
  // The output line itself, not the typed command.
  await expect(terminal.locator('.xterm-rows > div', { hasText: /^bonjour-quai\s*$/ })).toBeVisible({ timeout: 90_000 })

  // The files tab shows the lesson folder; the stop button (with its confirmation) ends it.
  await workspace.getByRole('tab', { name: 'Fichiers' }).click()
  await expect(workspace.getByRole('region', { name: 'Fichiers de la leçon' })).toContainText('/root/lab/labo')
  await workspace.getByRole('button', { name: 'Arrêter' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
})
