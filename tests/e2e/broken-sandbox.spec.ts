import { expect, test, type Locator, type Page } from '@playwright/test'
import { signUp } from './support/accounts'
import { openLab, stopLabSandbox } from './support/lab'

// A sandbox whose Docker dies, in Chromium on a real sandbox: the learner kills the node's
// dockerd from their own terminal (the node exits with it). The panel says, in the learner's
// language, that the sandbox's Docker stopped, with one button that starts a new sandbox for
// the lesson; the progress recorded before (an exercise passed with Vérifier) is still there,
// also after a reload.

async function killDockerFromTerminal(page: Page, terminal: Locator) {
  await terminal.locator('.xterm').click()
  await page.keyboard.type('pkill -KILL dockerd\n')
}

/** A fork bomb from the learner's own terminal, left running: the sandbox reaches its process limit. */
async function forkBombFromTerminal(page: Page, terminal: Locator) {
  await terminal.locator('.xterm').click()
  await page.keyboard.type("nohup bash -c 'bomb() { bomb | bomb & }; bomb' >/dev/null 2>&1 &\n")
}

test('a dead sandbox Docker is explained in French and English and replaced in one click, progress kept', async ({ page }) => {
  test.setTimeout(300_000)
  await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const panel = page.getByRole('region', { name: 'Exercices' }).last()
  const first = panel.getByRole('button', { name: /Exercice 1 · Créer le réseau demo-net/ })

  // Progress that must survive: exercise 1 passed with Vérifier (a recorded attempt).
  await terminal.locator('.xterm').click()
  await page.keyboard.type('docker network create demo-net\n')
  await panel.getByRole('button', { name: 'Vérifier' }).click()
  await expect(panel.locator('[data-assertion="network:demo-net:exists"]')).toHaveAttribute('data-state', 'passed', { timeout: 30_000 })
  await expect(first).toContainText('Terminé')

  await killDockerFromTerminal(page, terminal)
  const broken = workspace.getByRole('alert').filter({ hasText: 'Le Docker de votre bac à sable s’est arrêté' })
  await expect(broken).toBeVisible({ timeout: 30_000 })
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended')
  await expect(broken).toContainText('Son démon Docker s’est terminé, et le bac à sable avec lui ; sa place a été libérée.')
  await expect(broken).toContainText('Votre progression enregistrée (exercices réussis, quiz) est conservée.')
  // One way forward, and nothing else to click in the panel.
  await expect(broken.getByRole('button')).toHaveCount(1)
  await expect(workspace.getByRole('button', { name: 'Réinitialiser' })).toHaveCount(0)

  await broken.getByRole('button', { name: 'Nouveau bac à sable' }).click()
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  await expect(first).toContainText('Terminé')
  await expect(panel).toContainText('1/2 exercice(s) terminé(s)')
  // The new sandbox's Docker works.
  await terminal.locator('.xterm').click()
  await page.keyboard.type('docker info --format "moteur={{.ServerVersion}}"\n')
  await expect(terminal).toContainText(/moteur=\d+\.\d+/, { timeout: 30_000 })

  // Reopening the lesson: the recorded progress comes from the server.
  await page.reload()
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  await expect(panel).toContainText('1/2 exercice(s) terminé(s)')

  // In English.
  await page.getByLabel('Langue', { exact: true }).selectOption('en')
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
  const workspaceEn = page.getByRole('region', { name: 'Lab workspace' })
  const terminalEn = workspaceEn.locator('[data-terminal-node="node1"]')
  await expect(terminalEn).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  await killDockerFromTerminal(page, terminalEn)
  const brokenEn = workspaceEn.getByRole('alert').filter({ hasText: 'Your sandbox’s Docker stopped' })
  await expect(brokenEn).toBeVisible({ timeout: 30_000 })
  await expect(brokenEn).toContainText('Your recorded progress (passed exercises, quizzes) is kept.')
  await brokenEn.getByRole('button', { name: 'New sandbox' }).click()
  await expect(terminalEn).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  await expect(page.getByRole('region', { name: 'Exercises' }).last()).toContainText('1/2')

  // Leave nothing behind.
  await workspaceEn.getByRole('button', { name: 'Stop' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click()
  await expect(workspaceEn).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
})

// A fork bomb typed in the terminal fills the sandbox's process limit: Vérifier says so (no
// attempt), and "Arrêter mes processus" gives back a sandbox where a new shell and a check work.
test('a sandbox out of processes: the check says so, and stopping the learner’s processes gives a working shell back', async ({ page }) => {
  test.setTimeout(240_000)
  await signUp(page)
  let stopped = false
  try {
    const { workspace, terminal } = await openLab(page)
    const panel = page.getByRole('region', { name: 'Exercices' }).last()

    await forkBombFromTerminal(page, terminal)
    const limit = panel.getByRole('alert').filter({ hasText: 'le bac à sable a atteint sa limite de processus' })
    await expect(async () => {
      await panel.getByRole('button', { name: 'Vérifier' }).click()
      await expect(limit).toBeVisible({ timeout: 3000 })
    }).toPass({ timeout: 60_000 })
    await expect(limit).toContainText('Aucune tentative n’a été enregistrée.')
    await expect(panel.getByRole('button', { name: 'Réinitialiser' })).toBeVisible()

    await panel.getByRole('button', { name: 'Arrêter mes processus' }).click()
    await expect(panel.getByText(/processus arrêtés ; le bac à sable répond de nouveau/)).toBeVisible({ timeout: 30_000 })

    // The learner's shell went with their processes: a key opens a new one, which works.
    await terminal.locator('.xterm').click()
    await page.keyboard.press('Enter')
    await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 30_000 })
    await page.keyboard.type('echo "shell-$((20 + 22))"\n')
    await expect(terminal).toContainText('shell-42', { timeout: 30_000 })
    // And Vérifier judges the exercise again.
    await panel.getByRole('button', { name: 'Vérifier' }).click()
    await expect(panel.locator('[data-assertion="network:demo-net:exists"]')).toHaveAttribute('data-state', 'failed', { timeout: 30_000 })
    await expect(workspace).toHaveAttribute('data-workspace-phase', 'ready')

    await workspace.getByRole('button', { name: 'Arrêter', exact: true }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
    await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
    stopped = true
  } finally {
    if (!stopped) await stopLabSandbox(page)
  }
})

// The same state met in live mode: the live line says the sandbox is out of processes (no
// attempt), the same two actions are offered, and stopping the processes brings live mode back.
test('live mode says the sandbox is out of processes, offers the same two actions, and comes back', async ({ page }) => {
  test.setTimeout(240_000)
  await signUp(page)
  let stopped = false
  try {
    const { workspace, terminal } = await openLab(page)
    const panel = page.getByRole('region', { name: 'Exercices' }).last()

    await forkBombFromTerminal(page, terminal)
    // The live stream judges the sandbox when it connects: tick the box (again) until its run meets the limit.
    const liveBox = panel.getByRole('checkbox', { name: 'Suivi en direct' })
    // Met by a live run (the stream waits) or by the probe of the node's daemon (the stream ends).
    const problem = panel.getByText(/^Suivi en direct (en attente|interrompu) : le bac à sable a atteint sa limite de processus/)
    await expect(async () => {
      if (await liveBox.isChecked()) await liveBox.uncheck()
      await liveBox.check()
      await expect(problem).toBeVisible({ timeout: 5000 })
    }).toPass({ timeout: 90_000 })
    await expect(problem).toContainText('Aucune tentative n’a été enregistrée.')
    const actions = panel.locator('[data-process-limit-actions]')
    await expect(actions.getByRole('button', { name: 'Réinitialiser' })).toBeVisible()

    await actions.getByRole('button', { name: 'Arrêter mes processus' }).click()
    await expect(problem).toBeHidden({ timeout: 30_000 })
    await expect(panel.getByText('En direct : la liste se met à jour quand votre bac à sable change.')).toBeVisible({ timeout: 30_000 })
    await expect(actions).toBeHidden()
    await expect(workspace).toHaveAttribute('data-workspace-phase', 'ready')

    await workspace.getByRole('button', { name: 'Arrêter', exact: true }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
    await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
    stopped = true
  } finally {
    if (!stopped) await stopLabSandbox(page)
  }
})
