import fs from 'node:fs'
import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { baseURL } from '../../../playwright.config'
import { instructor, instructorState, setupTokenFile, signUp } from '../support/accounts'
import { openLab, openPublishedPort } from '../support/lab'
import { callFromPage } from '../support/page-api'
import { freePort, startSpecServer } from '../support/server'

// A learner's web app tries to act on Quai as whoever opens it. The page is served by nginx in
// the learner's sandbox (with a WebSocket echo behind it, as a dev server's live reload would
// be), and opened twice: by its owner from the Ports tab, and by an instructor the owner shares
// it with, from the class dashboard. Neither viewer's Quai session is in reach of the page.
// Twice over: on the default set-up (ports on *.localhost beside Quai on localhost, which
// browsers treat as different sites), and on a school's (ports.quai.localhost under
// quai.localhost, one site: the browser sends Quai's cookies with the page's requests, and
// only Quai's origin check stands between the page and its viewer's session).

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

const attackPage = (quai: string, sandboxId: string) => `<!doctype html><meta charset="utf-8"><title>app</title><h1>page-de-l-eleve</h1><pre id="out"></pre>
<script>
const quai = ${JSON.stringify(quai)}
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


async function attackScenario(quai: string, context: BrowserContext, teacherContext: BrowserContext) {
  const page = await context.newPage()
  const student = await signUp(page)
  const { workspace, terminal } = await openLab(page)
  const sandboxId = ((await callFromPage(page, 'POST', '/api/sandboxes', { courseSlug: lesson.course, lessonSlug: lesson.lesson })).json as { id: string }).id
  try {
    await attack({ quai, page, context, teacherContext, studentName: student.name, sandboxId, workspace, terminal })
  } finally {
    await callFromPage(page, 'DELETE', `/api/sandboxes/${sandboxId}`)
  }
}

type Lab = { quai: string; page: Page; context: BrowserContext; teacherContext: BrowserContext; studentName: string; sandboxId: string; workspace: Locator; terminal: Locator }

async function attack({ quai, page, context, teacherContext, studentName, sandboxId, workspace, terminal }: Lab) {
  for (const [path, content] of [
    ['app/index.html', attackPage(quai, sandboxId)],
    ['app/nginx.conf', nginxConf],
    ['app/ws.js', wsEcho],
  ]) {
    expect((await callFromPage(page, 'PUT', `/api/sandboxes/${sandboxId}/files/content`, { ...lesson, path, content })).status, path).toBe(200)
  }
  await terminal.locator('.xterm').click()
  await page.keyboard.type(
    'cd app && docker network create app >/dev/null && docker run -d --name ws --network app -v "$PWD/ws.js:/ws.js:ro" node:20-slim node /ws.js >/dev/null && docker run -d --name web --network app -p 8080:80 -v "$PWD/index.html:/usr/share/nginx/html/index.html:ro" -v "$PWD/nginx.conf:/etc/nginx/conf.d/default.conf:ro" nginx >/dev/null && echo pret-$((40+2))\n',
  )
  await expect(terminal.locator('.xterm-rows > div').filter({ hasText: /^pret-42\s*$/ })).toBeVisible({ timeout: 90_000 })

  // The owner opens the app from the Ports tab: it runs on its own origin.
  const tab = await openPublishedPort(workspace, context, 'node1', 8080)
  await expect(tab.getByRole('heading', { name: 'page-de-l-eleve' })).toBeVisible({ timeout: 30_000 })
  const appOrigin = new URL(tab.url()).origin
  expect(appOrigin).toMatch(/^http:\/\/p8080-[a-z2-7]{26}\./)
  expectNothingReachedQuai(await resultsOf(tab), 'owner')
  // What the browser would send to the app's origin: its access cookie, never Quai's session.
  expect((await context.cookies(appOrigin)).map((c) => c.name)).toEqual(['quai_port_access'])
  expect((await context.cookies(quai)).some((c) => c.name.startsWith('better-auth'))).toBe(true)

  // Nothing the page sent changed the owner's sandbox: no upload, no reset.
  const listing = await callFromPage(page, 'GET', `/api/sandboxes/${sandboxId}/files?course=${lesson.course}&lesson=${lesson.lesson}`)
  expect(listing.status).toBe(200)
  expect(listing.text).not.toContain('owned.txt')
  expect(((await callFromPage(page, 'GET', `/api/sandboxes/${sandboxId}`)).json as { status: string }).status).toBe('running')
  // No service worker on Quai's origin.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0)
  await tab.close()

  // The owner shares the port with the instructors of a class they are in.
  const teacher = await teacherContext.newPage()
  await teacher.goto('/teach')
  const created = await callFromPage(teacher, 'POST', '/api/classes', { name: `Partage ${studentName}`, courses: ['demo'] })
  expect(created.status).toBe(201)
  const { id: classId, joinCode } = created.json as { id: string; joinCode: string }
  expect((await callFromPage(page, 'POST', '/api/classes/join', { code: joinCode })).status).toBe(201)
  const share = workspace.getByRole('checkbox', { name: 'Partager node1:8080 avec les enseignants de mes classes' })
  // The box follows the click at once; the instructor's page is read once the server has it.
  await Promise.all([page.waitForResponse((response) => response.url().endsWith('/ports/share') && response.ok()), share.check()])
  await expect(workspace.getByText(/Les enseignants de vos classes peuvent ouvrir les ports partagés/)).toBeVisible()

  await teacher.goto(`/teach/classes/${classId}`)
  const shared = teacher.getByRole('link', { name: `Ouvrir node1:8080 de ${studentName} dans un nouvel onglet` })
  const [teacherTab] = await Promise.all([teacherContext.waitForEvent('page'), shared.click()])
  await expect(teacherTab.getByRole('heading', { name: 'page-de-l-eleve' })).toBeVisible({ timeout: 30_000 })
  expectNothingReachedQuai(await resultsOf(teacherTab), 'instructor')
  expect((await teacherContext.cookies(new URL(teacherTab.url()).origin)).map((c) => c.name)).toEqual(['quai_port_access'])

  // Sharing taken back: the instructor's next visit is refused.
  await share.uncheck()
  await expect(async () => {
    const again = await teacherTab.reload()
    expect(again?.status()).toBe(403)
  }).toPass({ timeout: 15_000 })
}

test("default set-up: a learner's page on *.localhost cannot act on Quai as its owner or as an instructor it is shared with, and still works", async ({ browser }) => {
  test.setTimeout(300_000)
  const context = await browser.newContext({ baseURL })
  const teacherContext = await browser.newContext({ baseURL, storageState: instructorState })
  await attackScenario(baseURL, context, teacherContext)
})

test("a school's set-up, ports under Quai's own site: the page's requests carry the viewer's cookies, and Quai still refuses them", async ({ browser }) => {
  test.setTimeout(360_000)
  const port = await freePort()
  const quai = `http://quai.localhost:${port}`
  const server = await startSpecServer('security-ports', port, { QUAI_URL: quai, QUAI_PORTS_URL: `http://ports.quai.localhost:${port}` })
  try {
    // Its instructor, made with the setup token its start script minted.
    const teacherContext = await browser.newContext({ baseURL: quai })
    const setup = await teacherContext.newPage()
    await setup.goto('/sign-in')
    const token = fs.readFileSync(setupTokenFile('security-ports'), 'utf8').trim()
    expect((await callFromPage(setup, 'POST', '/setup/claim', { token, account: instructor })).status).toBe(201)
    expect((await callFromPage(setup, 'POST', '/api/auth/sign-in/email', { email: instructor.email, password: instructor.password })).status).toBe(200)
    await setup.close()
    await attackScenario(quai, await browser.newContext({ baseURL: quai }), teacherContext)
  } finally {
    server.stop()
  }
})
