import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { signUp } from './support/accounts'
import { openLab, stopLabSandbox } from './support/lab'
import { gotoLoaded } from './support/navigation'
import { callFromPage } from './support/page-api'

// Kept work about to be removed (docs/persistence.md), in Chromium on a real sandbox: the lesson
// does not resume it by itself but shows a card (size, last use, "sera supprimé dans 2 jours");
// "Télécharger le dossier" gives a .tar.gz of the lab folder read from the kept disk, without
// starting anything; "Reprendre" resumes it with the file there. The disk is aged in the fixtures
// server's database, close to the end of its retention.

const database = '.cache/e2e/fixtures/quai.db'
// The server writes to the same file meanwhile: wait for its lock as the app does (busy timeout), never fail on it.
const sql = (query: string) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', database, query], { encoding: 'utf8' }).trim()
const at = (modifier: string) => `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '${modifier}')`

test('kept work about to be removed is shown, downloaded without starting a sandbox, then resumed', async ({ page, browser }) => {
  test.setTimeout(300_000)
  const account = await signUp(page)
  const userId = sql(`SELECT id FROM User WHERE email = '${account.email}'`)
  expect(userId).not.toBe('')
  const liveSandboxes = () => Number(sql(`SELECT count(*) FROM Sandbox WHERE userId = '${userId}' AND status IN ('starting', 'running')`))
  try {
    const { workspace, terminal } = await openLab(page)
    await terminal.locator('.xterm').click({ timeout: 5000 })
    await page.keyboard.type('echo "kept-$((20+22))" > note.txt && echo written-$((40+2))\n')
    await expect(terminal.locator('.xterm-rows > div', { hasText: /^written-42\s*$/ })).toBeVisible({ timeout: 60_000 })
    await workspace.getByRole('button', { name: 'Arrêter' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
    await expect(workspace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 60_000 })
    await expect.poll(() => sql(`SELECT status FROM SandboxDisk WHERE userId = '${userId}'`), { timeout: 60_000 }).toBe('kept')

    // Last used 5 days ago (aged by hand): removed in a little under 2 days (QUAI_SANDBOX_KEEP_WARN_DAYS=2).
    sql(`UPDATE SandboxDisk SET lastUsedAt = ${at('-5 days')}, keptAt = ${at('-5 days')}, expiresAt = ${at('+47 hours')} WHERE userId = '${userId}'`)

    await gotoLoaded(page, '/courses/demo/labo')
    const card = workspace.locator('[data-kept-card]')
    await expect(card).toContainText('Votre travail de cette leçon est conservé')
    await expect(card).toContainText('dernière utilisation il y a 5 jours')
    await expect(card).toContainText('Il sera supprimé dans 2 jours')
    await expect(card).toContainText(/Mo/)
    await expect(card).toContainText('de nouveau conservé 14 jours')
    await expect(workspace).toHaveAttribute('data-workspace-phase', 'kept')
    // Nothing starts while the learner reads it.
    await page.waitForTimeout(2000)
    expect(liveSandboxes()).toBe(0)

    // Another learner cannot download it.
    const other = await browser.newContext()
    const stranger = await other.newPage()
    await signUp(stranger)
    expect((await callFromPage(stranger, 'GET', '/api/kept-work/archive?course=demo&lesson=labo')).status).toBe(404)
    await other.close()

    // The folder, read from the kept disk: a .tar.gz with the file; still no sandbox.
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Télécharger le dossier' }).click()])
    expect(download.suggestedFilename()).toBe('labo-kept.tar.gz')
    const saved = path.join(test.info().outputDir, 'labo-kept.tar.gz')
    await download.saveAs(saved)
    expect(execFileSync('tar', ['-xzOf', saved, 'node1/labo/note.txt'], { encoding: 'utf8' })).toBe('kept-42\n')
    expect(liveSandboxes()).toBe(0)
    await expect.poll(() => sql(`SELECT status FROM SandboxDisk WHERE userId = '${userId}'`), { timeout: 30_000 }).toBe('kept')

    // Resume: the sandbox starts on the kept work, and says so.
    await card.getByRole('button', { name: 'Reprendre' }).click()
    await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
    await expect(workspace.locator('[data-kept-notice="resumed"]')).toContainText('Repris là où vous en étiez')
    await terminal.locator('.xterm').click()
    await page.keyboard.type('echo "$(cat note.txt)-resumed"\n')
    await expect(terminal.locator('.xterm-rows > div', { hasText: /^kept-42-resumed\s*$/ })).toBeVisible({ timeout: 30_000 })
  } finally {
    await stopLabSandbox(page)
  }
})
