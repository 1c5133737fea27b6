// Takes docs/screenshot.png: a hands-on lesson with its terminal, on a running Quai.
//   QUAI_URL=http://localhost:3000 npx tsx scripts/docs/screenshot.ts [course/lesson]
// It signs up a throwaway learner, opens the lesson, waits for the sandbox's terminal, runs a
// few commands of the first exercise of sous-reseaux-et-dns and clicks "Vérifier" on the first exercise.
import { chromium } from '@playwright/test'

const baseURL = process.env.QUAI_URL ?? 'http://localhost:3000'
const lessonKey = process.argv[2] ?? 'reseaux-docker/sous-reseaux-et-dns'
const output = process.env.QUAI_SCREENSHOT ?? 'docs/screenshot.png'

const browser = await chromium.launch({
  executablePath: process.env.QUAI_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
try {
  const page = await browser.newPage({ baseURL, viewport: { width: 1440, height: 900 }, locale: 'fr-FR', deviceScaleFactor: 1 })
  const id = Date.now().toString(36)
  await page.goto('/sign-up')
  await page.getByLabel('Nom affiché').fill('Camille')
  await page.getByLabel('Adresse e-mail').fill(`camille-${id}@quai.test`)
  await page.getByLabel('Mot de passe').fill(`mot-de-passe-${id}`)
  await page.getByRole('button', { name: 'Créer mon compte' }).click()
  await page.getByRole('button', { name: 'Se déconnecter' }).waitFor()

  await page.goto(`/courses/${lessonKey}`)
  const terminal = page.locator('[data-terminal-node="node1"]')
  await terminal.and(page.locator('[data-terminal-state="open"]')).waitFor({ timeout: 90_000 })
  await terminal.locator('.xterm').click()
  const commands = [
    'docker network create --subnet 10.50.0.0/24 --gateway 10.50.0.254 --ip-range 10.50.0.128/25 net-app',
    'docker run -d --name annuaire --network net-app --ip 10.50.0.10 busybox sleep infinity',
    'docker network inspect net-app --format "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}"',
    'docker ps --format "table {{.Names}}\\t{{.Image}}\\t{{.Status}}"',
  ]
  for (const command of commands) {
    await page.keyboard.type(`${command}\n`, { delay: 5 })
    await page.waitForTimeout(2500)
  }
  const check = page.getByRole('button', { name: 'Vérifier' }).first()
  if (await check.isVisible()) {
    await check.click()
    await page.waitForTimeout(2000)
  }
  await page.screenshot({ path: output })
  console.log(`screenshot: ${output}`)
} finally {
  await browser.close()
}
