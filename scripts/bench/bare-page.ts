// Chromium pages as a learner's browser runs them, for throughput figures: driven over a raw
// DevTools connection with only the Runtime domain, never the Network domain. Playwright's own
// pages have the Network domain enabled, and then the renderer copies every WebSocket frame it
// receives, base64-encoded, to the DevTools client: on this machine a bare WebSocket receives
// 56-81 MB/s in a Playwright page against 253-307 MB/s in a page like these (scripts/bench/
// terminal.ts, 2026-12-08). The pages live in the browser's default context, which Playwright
// (launched without a persistent context) detaches from.
import WebSocket from 'ws'

export type BarePage = {
  /** `fn(arg)` in the page, awaited, its result returned by value (JSON-like). */
  evaluate<R, A = undefined>(fn: ((arg: A) => R | Promise<R>) | string, arg?: A): Promise<R>
  goto(url: string): Promise<void>
  setContent(html: string): Promise<void>
  addStyleTag(style: { content: string }): Promise<void>
  addScriptTag(script: { content: string }): Promise<void>
  /** Resolves once `fn(arg)` is truthy in the page (polled every 100 ms). */
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options: { timeout: number }): Promise<void>
  waitForTimeout(ms: number): Promise<void>
  /** Any DevTools command on the page's session (the Profiler, for QUAI_BENCH_PROFILE). */
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>
  close(): Promise<void>
}

export type BareCookie = { name: string; value: string; domain: string; path: string; httpOnly?: boolean; sameSite?: 'Lax' | 'Strict' | 'None' }

export type BareBrowser = {
  newPage(options: { viewport: { width: number; height: number }; cookies?: BareCookie[] }): Promise<BarePage>
  close(): void
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** The DevTools endpoint of a Chromium started with --remote-debugging-port=<port>. */
export async function connectBareBrowser(port: number): Promise<BareBrowser> {
  let endpoint = ''
  for (let i = 0; i < 50 && !endpoint; i++) {
    const answer = await fetch(`http://127.0.0.1:${port}/json/version`).catch(() => null)
    if (answer?.ok) endpoint = ((await answer.json()) as { webSocketDebuggerUrl: string }).webSocketDebuggerUrl
    else await sleep(100)
  }
  if (!endpoint) throw new Error(`no DevTools endpoint on port ${port}: was Chromium started with --remote-debugging-port=${port}?`)
  const socket = new WebSocket(endpoint, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 })
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  let lastId = 0
  const waiting = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } }
    const waiter = message.id === undefined ? undefined : waiting.get(message.id)
    if (!waiter) return
    waiting.delete(message.id!)
    if (message.error) waiter.reject(new Error(message.error.message))
    else waiter.resolve(message.result ?? {})
  })
  socket.once('close', () => {
    for (const w of waiting.values()) w.reject(new Error('the DevTools connection closed'))
    waiting.clear()
  })
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++lastId
      waiting.set(id, { resolve, reject })
      socket.send(JSON.stringify({ id, method, params, sessionId }))
    })

  return {
    close: () => socket.close(),
    async newPage({ viewport, cookies }) {
      if (cookies?.length) await send('Storage.setCookies', { cookies })
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string }
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string }
      const onPage = (method: string, params: Record<string, unknown> = {}) => send(method, params, sessionId)
      await onPage('Emulation.setDeviceMetricsOverride', { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false })
      const run = async (expression: string) => {
        const answer = (await onPage('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
          result: { value?: unknown }
          exceptionDetails?: { text: string; exception?: { description?: string } }
        }
        if (answer.exceptionDetails) throw new Error(`in the page: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`)
        return answer.result.value
      }
      // tsx (esbuild, keepNames) wraps functions declared inside evaluated code in __name().
      const shim = 'globalThis.__name ??= (fn) => fn;'
      const call = (fn: ((arg: never) => unknown) | string, arg: unknown) =>
        run(typeof fn === 'string' ? fn : `${shim}(${fn.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`)
      const page: BarePage = {
        evaluate: (fn, arg) => call(fn as (arg: never) => unknown, arg) as never,
        async goto(url) {
          await onPage('Page.navigate', { url })
          await page.waitForFunction(() => document.readyState === 'complete', undefined, { timeout: 30_000 })
        },
        async setContent(html) {
          await run(`document.open(); document.write(${JSON.stringify(html)}); document.close()`)
        },
        async addStyleTag({ content }) {
          await run(`{ const style = document.createElement('style'); style.textContent = ${JSON.stringify(content)}; document.head.append(style) }`)
        },
        async addScriptTag({ content }) {
          await run(content)
        },
        async waitForFunction(fn, arg, { timeout }) {
          const deadline = Date.now() + timeout
          while (!(await call(fn as (arg: never) => unknown, arg).catch(() => false))) {
            if (Date.now() > deadline) throw new Error(`waitForFunction: still false after ${timeout} ms: ${fn.toString().slice(0, 200)}`)
            await sleep(100)
          }
        },
        waitForTimeout: sleep,
        send: onPage,
        async close() {
          await send('Target.closeTarget', { targetId }).catch(() => undefined)
        },
      }
      return page
    },
  }
}
