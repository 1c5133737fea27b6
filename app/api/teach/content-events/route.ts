import fs from 'node:fs'
import path from 'node:path'
import { contentRoot } from '@/lib/content/root.server'

// Development only: a Server-Sent Events stream that says which content file changed, so an
// open lesson (or its authoring preview) refreshes itself when its author saves the MDX or
// YAML. The server re-reads and recompiles changed files on the next request
// (lib/content/lessons.server.ts, compile.server.ts), so a refresh is all the page needs.
export const dynamic = 'force-dynamic'

export async function GET(request: Request): Promise<Response> {
  if (process.env.NODE_ENV === 'production') return new Response('not found', { status: 404 })
  const root = contentRoot()
  const encoder = new TextEncoder()
  let cleanup = () => {}
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text))
        } catch {
          cleanup()
        }
      }
      const pending = new Set<string>()
      let timer: NodeJS.Timeout | undefined
      // Editors write a file in several steps (temp file, rename): report once they settle.
      const watcher = fs.watch(root, { recursive: true }, (_event, file) => {
        if (!file || /(^|\/)(\.|node_modules\/)|~$|\.swp$/.test(file.toString())) return
        pending.add(file.toString().split(path.sep).join('/'))
        clearTimeout(timer)
        timer = setTimeout(() => {
          send(`event: change\ndata: ${JSON.stringify({ files: [...pending] })}\n\n`)
          pending.clear()
        }, 150)
      })
      const keepAlive = setInterval(() => send(': keep-alive\n\n'), 25_000)
      cleanup = () => {
        clearTimeout(timer)
        clearInterval(keepAlive)
        watcher.close()
      }
      request.signal.addEventListener('abort', () => {
        cleanup()
        try {
          controller.close()
        } catch {
          // already closed
        }
      })
      send('retry: 2000\n\n')
    },
    cancel() {
      cleanup()
    },
  })
  return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' } })
}
