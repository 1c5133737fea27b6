import { expect, test } from './support/test'
import { signUp } from './support/accounts'
import { openLab, openPublishedPort } from './support/lab'

// A real sandbox (Docker-in-Docker on the host engine), the real terminal in Chromium.
test('a learner opens a hands-on lesson, runs docker in the terminal and sees the output', async ({ page }) => {
  test.setTimeout(180_000)
  await signUp(page)
  const scripts: Promise<string>[] = []
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') scripts.push(response.text().catch(() => ''))
  })
  await page.goto('/courses/demo/labo')

  const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
  await expect(workspace.getByRole('tab', { name: 'Terminal node1' })).toBeVisible({ timeout: 60_000 })
  const terminal = workspace.locator('[data-terminal-node="node1"]')
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 30_000 })
  await expect(workspace.getByText(/Temps restant/)).toBeVisible()
  // The same marker the reading-lesson test looks for, so that test cannot pass by a renamed class.
  expect((await Promise.all(scripts)).some((body) => body.includes('xterm-helper-textarea'))).toBe(true)

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

test('code blocks run in the terminal, the file panel edits the sandbox, a published port opens in a tab, reset gives a fresh sandbox', async ({ page, context }) => {
  test.setTimeout(240_000)
  await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const rows = terminal.locator('.xterm-rows > div')
  const type = async (command: string) => {
    await terminal.locator('.xterm').click({ timeout: 5000 })
    await page.keyboard.type(`${command}\n`)
  }

  // The lesson's code block runs its command in the learner's terminal.
  await page.locator('article').getByRole('button', { name: 'Exécuter' }).first().click()
  await type('docker network ls --format "net={{.Name}}"')
  await expect(rows.filter({ hasText: /^net=demo-net\s*$/ })).toBeVisible({ timeout: 30_000 })

  // A file made in the shell is opened, edited and saved from the panel, and the shell sees it.
  await type('echo avant > note.txt')
  await workspace.getByRole('tab', { name: 'Fichiers' }).click()
  const files = workspace.getByRole('region', { name: 'Fichiers de la leçon' })
  await files.getByRole('button', { name: 'Actualiser' }).click()
  await files.getByRole('button', { name: 'Ouvrir note.txt' }).click()
  const editor = files.getByLabel('Éditeur de note.txt')
  await expect(editor).toContainText('avant')
  await editor.click()
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.type('apres-edition-dans-quai')
  await files.getByRole('button', { name: 'Enregistrer' }).click()
  await expect(files.getByText('note.txt enregistré dans la sandbox')).toBeVisible()
  await workspace.getByRole('tab', { name: 'Terminal node1' }).click()
  await type('echo "lu=$(cat note.txt)"')
  await expect(rows.filter({ hasText: /^lu=apres-edition-dans-quai\s*$/ })).toBeVisible({ timeout: 15_000 })

  // A web server published in the sandbox opens in a new tab, on its own origin.
  await type(`docker run -d -p 8080:8080 busybox sh -c 'mkdir -p /www && echo page-du-bac-a-sable > /www/index.html && httpd -f -p 8080 -h /www'`)
  const tab = await openPublishedPort(workspace, context, 'node1', 8080)
  await expect(tab.locator('body')).toContainText('page-du-bac-a-sable', { timeout: 30_000 })
  await tab.close()

  // Reset: confirmed, a new sandbox comes up with nothing from the old one.
  await workspace.getByRole('button', { name: 'Réinitialiser' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Réinitialiser' }).click()
  // The old shell answers "reste=1-1" until the new sandbox's terminal takes over.
  await workspace.getByRole('tab', { name: 'Terminal node1' }).click()
  await expect(async () => {
    await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 5000 })
    await type('echo "reste=$(docker ps -q | wc -l)-$(ls note.txt 2>/dev/null | wc -l)"')
    await expect(rows.filter({ hasText: /^reste=0-0\s*$/ })).toBeVisible({ timeout: 5000 })
  }).toPass({ timeout: 120_000 })
  await expect(workspace).toHaveAttribute('data-workspace-phase', 'ready')
  // The exercise panel follows the new sandbox live, not the one that was reset.
  await expect(page.getByText('Suivi en direct interrompu')).toHaveCount(0, { timeout: 15_000 })
})

test('a flood of output ends on the same screen and scrollback as the output itself (unseen lines are dropped, never the last ones)', async ({ page }) => {
  test.setTimeout(180_000)
  await signUp(page)
  const { terminal } = await openLab(page)
  const rows = terminal.locator('.xterm-rows > div')
  const screen = async () => (await rows.allInnerTexts()).map((text) => text.trim())
  const expectConsecutive = (lines: string[]) => {
    const numbers = lines.map(Number)
    expect(numbers.every((n, i) => Number.isInteger(n) && n > 0 && (i === 0 || n === numbers[i - 1]! + 1)), lines.join(' | ')).toBe(true)
  }
  await terminal.locator('.xterm').click()
  await page.keyboard.type('seq 1 300000; echo fin-$((20+1))\n')
  await expect(rows.filter({ hasText: /^fin-21$/ })).toBeVisible({ timeout: 60_000 })

  // The screen: the last numbers, in order, then the marker.
  const last = await screen()
  const end = last.indexOf('fin-21')
  expect(last[end - 1]).toBe('300000')
  expectConsecutive(last.slice(0, end))

  // The top of the scrollback (5000 lines above the screen): consecutive numbers, exactly as
  // far back as parsing all 2 MB would have kept.
  const at300000 = end - 1
  await expect(async () => {
    for (let i = 0; i < 50; i++) await page.keyboard.press('Shift+PageUp')
    const top = await screen()
    expect(top[0]).toBe(String(300000 - 5000 - at300000))
    expectConsecutive(top)
  }).toPass({ timeout: 60_000 })
})
