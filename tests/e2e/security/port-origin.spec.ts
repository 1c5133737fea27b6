import { expect, test, type Page } from '@playwright/test'
import { baseURL } from '../../../playwright.config'
import { instructorState, signUp } from '../support/accounts'
import { openLab } from '../support/lab'

// A learner's web app tries to act on Quai as whoever opens it. The page is served by nginx in
// the learner's sandbox (with a WebSocket echo behind it, as a dev server's live reload would
// be), and opened twice: by its owner from the Ports tab, and by an instructor the owner shares
// it with, from the class dashboard. Neither viewer's Quai session is in reach of the page.

const sameOrigin = { origin: baseURL }
const lesson = { course: 'demo', lesson: 'labo' }

const wsEcho = `const http = require('http'), crypto = require('crypto')
const server = http.createServer((_q, s) => s.end('ws-app'))
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n')
  socket.on('data', (buf) => {
    const len = buf[1] & 127, mask = buf.subarray(2, 6)
    const text = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4])).toString()
    const reply = Buffer.from('echo:' + text)
    socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]))
  })
})
server.listen(3000)
`

const nginxConf = `server {
  listen 80;
  root /usr/share/nginx/html;
  location /ws { proxy_pass http://ws:3000; proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; }
}
`

const attackPage = (sandboxId: string) => `<!doctype html><meta charset="utf-8"><title>app</title><h1>page-de-l-eleve</h1><pre id="out"></pre>
<script>
const quai = ${JSON.stringify(baseURL)}
const results = {}
const show = () => { document.getElementById('out').textContent = JSON.stringify(results) }
async function attempt(name, run) { try { results[name] = await run() } catch (e) { results[name] = 'refused: ' + (e && e.name) } show() }
(async () => {
  // Read Quai as the viewer.
  await attempt('read', async () => { const r = await fetch(quai + '/api/auth/get-session', { credentials: 'include' }); return 'read ' + r.status + ' ' + (await r.text()).slice(0, 60) })
  // Change things in Quai as the viewer, with requests that need no preflight.
  const form = new FormData(); form.append('file', new Blob(['owned']), 'owned.txt')
  await attempt('upload', async () => { await fetch(quai + '/api/sandboxes/${sandboxId}/files/upload?course=${lesson.course}&lesson=${lesson.lesson}', { method: 'POST', mode: 'no-cors', credentials: 'include', body: form }); return 'sent' })
  await attempt('reset', async () => { await fetch(quai + '/api/sandboxes/${sandboxId}/reset', { method: 'POST', mode: 'no-cors', credentials: 'include' }); return 'sent' })
  // A service worker over Quai's origin.
  await attempt('serviceWorker', async () => { await navigator.serviceWorker.register(quai + '/sw.js', { scope: quai + '/' }); return 'registered' })
  // The app's own WebSocket still works.
  await attempt('ws', () => new Promise((resolve, reject) => {
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws')
    ws.onopen = () => ws.send('ping')
    ws.onmessage = (m) => { resolve(m.data); ws.close() }
    ws.onerror = () => reject(new Error('ws'))
  }))
  document.body.dataset.done = '1'
})()
</script>`

type Results = { read: string; upload: string; reset: string; serviceWorker: string; ws: string }

async function resultsOf(tab: Page): Promise<Results> {
  await expect(tab.locator('body')).toHaveAttribute('data-done', '1', { timeout: 30_000 })
  return JSON.parse((await tab.locator('#out').textContent()) ?? '{}') as Results
}

function expectNothingReachedQuai(results: Results, viewer: string) {
  expect(results.read, viewer).toMatch(/^refused: TypeError/)
  expect(results.serviceWorker, viewer).toMatch(/^refused: (SecurityError|TypeError)/)
  expect(results.ws, viewer).toBe('echo:ping')
}

test("a learner's page cannot act on Quai as its owner or as an instructor it is shared with, and still works", async ({ page, context, browser }) => {
  test.setTimeout(300_000)
  const student = await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const opened = await page.request.post('/api/sandboxes', { data: { courseSlug: lesson.course, lessonSlug: lesson.lesson }, headers: sameOrigin })
  const sandboxId = ((await opened.json()) as { id: string }).id
  for (const [path, content] of [
    ['app/index.html', attackPage(sandboxId)],
    ['app/nginx.conf', nginxConf],
    ['app/ws.js', wsEcho],
  ]) {
    const saved = await page.request.put(`/api/sandboxes/${sandboxId}/files/content`, { data: { ...lesson, path, content }, headers: sameOrigin })
    expect(saved.status(), path).toBe(200)
  }
  await terminal.locator('.xterm').click()
  await page.keyboard.type(
    'cd app && docker network create app >/dev/null && docker run -d --name ws --network app -v "$PWD/ws.js:/ws.js:ro" node:20-slim node /ws.js >/dev/null && docker run -d --name web --network app -p 8080:80 -v "$PWD/index.html:/usr/share/nginx/html/index.html:ro" -v "$PWD/nginx.conf:/etc/nginx/conf.d/default.conf:ro" nginx >/dev/null && echo pret-$((40+2))\n',
  )
  await expect(terminal.locator('.xterm-rows > div').filter({ hasText: /^pret-42\s*$/ })).toBeVisible({ timeout: 90_000 })

  // The owner opens the app from the Ports tab: it runs on its own origin.
  await workspace.getByRole('tab', { name: 'Ports' }).click()
  const link = workspace.getByRole('link', { name: 'Ouvrir node1:8080 dans un nouvel onglet' })
  await expect(async () => {
    await workspace.getByRole('button', { name: 'Actualiser' }).click()
    await expect(link).toBeVisible({ timeout: 2000 })
  }).toPass({ timeout: 60_000 })
  const [tab] = await Promise.all([context.waitForEvent('page'), link.click()])
  await expect(tab.getByRole('heading', { name: 'page-de-l-eleve' })).toBeVisible({ timeout: 30_000 })
  const appOrigin = new URL(tab.url()).origin
  expect(appOrigin).toMatch(new RegExp(`^http://p8080-[a-z2-7]{26}\\.localhost:${new URL(baseURL).port}$`))
  expectNothingReachedQuai(await resultsOf(tab), 'owner')
  // What the browser would send to the app's origin: its access cookie, never Quai's session.
  const appCookies = (await context.cookies(appOrigin)).map((c) => c.name)
  expect(appCookies).toEqual(['quai_port_access'])
  expect((await context.cookies(baseURL)).some((c) => c.name.startsWith('better-auth'))).toBe(true)

  // Nothing the page sent changed the owner's sandbox: no upload, no reset.
  const listing = await page.request.get(`/api/sandboxes/${sandboxId}/files?course=${lesson.course}&lesson=${lesson.lesson}`)
  expect(listing.status()).toBe(200)
  expect(JSON.stringify(await listing.json())).not.toContain('owned.txt')
  const status = await page.request.get(`/api/sandboxes/${sandboxId}`)
  expect(((await status.json()) as { status: string }).status).toBe('running')
  // No service worker on Quai's origin.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0)
  await tab.close()

  // The owner shares the port with the instructors of a class they are in.
  const teacher = await (await browser.newContext({ storageState: instructorState })).newPage()
  const created = await teacher.request.post('/api/classes', { data: { name: `Partage ${student.name}`, courses: ['demo'] }, headers: sameOrigin })
  expect(created.status()).toBe(201)
  const { id: classId, joinCode } = (await created.json()) as { id: string; joinCode: string }
  expect((await page.request.post('/api/classes/join', { data: { code: joinCode }, headers: sameOrigin })).status()).toBe(201)
  await workspace.getByRole('checkbox', { name: 'Partager node1:8080 avec les enseignants de mes classes' }).check()
  await expect(workspace.getByText(/Les enseignants de vos classes peuvent ouvrir les ports partagés/)).toBeVisible()

  await teacher.goto(`/teach/classes/${classId}`)
  const shared = teacher.getByRole('link', { name: `Ouvrir node1:8080 de ${student.name} dans un nouvel onglet` })
  const [teacherTab] = await Promise.all([teacher.context().waitForEvent('page'), shared.click()])
  await expect(teacherTab.getByRole('heading', { name: 'page-de-l-eleve' })).toBeVisible({ timeout: 30_000 })
  expectNothingReachedQuai(await resultsOf(teacherTab), 'instructor')
  expect((await teacher.context().cookies(new URL(teacherTab.url()).origin)).map((c) => c.name)).toEqual(['quai_port_access'])

  // Sharing taken back: the instructor's next visit is refused.
  await workspace.getByRole('checkbox', { name: 'Partager node1:8080 avec les enseignants de mes classes' }).uncheck()
  await expect(async () => {
    const again = await teacherTab.reload()
    expect(again?.status()).toBe(403)
  }).toPass({ timeout: 15_000 })
})
