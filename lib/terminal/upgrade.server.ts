import 'server-only'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { userOf } from '../auth/raw-request.server'
import { getLesson, lessonFolder } from '../content/lessons.server'
import { openExecStream } from '../docker/exec-stream.server'
import { ApiError, apiErrorOf, upgradeRefusal } from '../http/api.server'
import { admit, rateLimitedAnswer, RateLimitedError } from '../http/usage-limits.server'
import { refuseUpgrade, type UpgradeRoute } from '../http/upgrade-routes'
import { isSameOriginUpgrade } from '../http/origin.server'
import { defaultLocale, isLocale, localeCookie, type Locale } from '../i18n/config'
import { loadMessages } from '../i18n/messages.server'
import { sandboxDiskFull } from '../sandbox/disk-full.server'
import { nodeShellTarget, requireNode, requireRunningOwnedSandbox, sandboxNodeDied, touchWorkspaceSandbox } from '../workspace/workspace-sandbox.server'
import { bridgeTerminal } from './bridge.server'
import { maxFrameBytes, terminalPathPattern, terminalQuerySchema } from './protocol'

// GET /api/sandboxes/<id>/terminal?node=&session=&course=&lesson=&cols=&rows=&resume= (WebSocket)
// Everything is checked before the upgrade: origin, session, ownership, running state, node,
// lesson. A refusal is a plain HTTP answer (400/401/403/404/409, 429 past the user's terminal
// limits, with Retry-After), never an open socket.

function refuse(socket: Duplex, error: ApiError) {
  const refusal = upgradeRefusal(error)
  refuseUpgrade(socket, refusal.status, refusal.reason)
}

function refuseLimited(socket: Duplex, error: RateLimitedError) {
  const answer = rateLimitedAnswer(error)
  if (socket.writable) {
    const headers = Object.entries({ ...answer.headers, connection: 'close', 'content-length': String(Buffer.byteLength(answer.body)) })
    socket.write(`HTTP/1.1 429 Too Many Requests\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${answer.body}`)
  }
  socket.destroy()
}

export function terminalUpgradeRoute(): UpgradeRoute {
  // autoPong off: the browser never sends WebSocket pings (it cannot), and a client that sends
  // them without reading the pongs would grow the socket's buffer (the bridge answers the
  // protocol's own ping frames, bounded).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false, autoPong: false })
  return {
    matches: (pathname) => terminalPathPattern.test(pathname),
    handle: async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost')
      const sandboxId = terminalPathPattern.exec(url.pathname)?.[1] ?? ''
      if (!isSameOriginUpgrade(request)) return refuse(socket, new ApiError(403, 'cross_origin', 'cross-origin terminal connections are refused'))
      const query = terminalQuerySchema.safeParse(Object.fromEntries(url.searchParams))
      if (!query.success) return refuse(socket, new ApiError(400, 'invalid_input', query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')))
      const user = await userOf(request)
      if (!user) return refuse(socket, new ApiError(401, 'unauthenticated', 'sign in first'))
      const q = query.data
      // Each connection costs an exec on the engine: counted per user (a minute, every instance)
      // and capped while open (this instance), before anything else is looked up.
      let release: () => void
      try {
        release = await admit('terminals', user.id)
      } catch (error) {
        if (error instanceof RateLimitedError) return refuseLimited(socket, error)
        throw error
      }
      let target
      try {
        const sandbox = await requireRunningOwnedSandbox(user.id, sandboxId)
        requireNode(sandbox, q.node)
        target = await nodeShellTarget(sandboxId, q.node)
      } catch (error) {
        release()
        const api = apiErrorOf(error)
        if (api instanceof ApiError) return refuse(socket, api)
        throw error
      }
      const lesson = getLesson(q.course, q.lesson)
      if (!lesson?.frontmatter?.sandbox) {
        release()
        return refuse(socket, new ApiError(404, 'lesson_not_found', 'no hands-on lesson by that name'))
      }
      if (socket.destroyed) return release()
      // Keystrokes leave at once instead of waiting to be batched by Nagle's algorithm.
      ;(socket as Socket).setNoDelay?.(true)
      socket.once('close', release)
      wss.handleUpgrade(request, socket, head, (ws) => {
        ws.once('close', release)
        void bridgeTerminal(ws, {
          session: `${q.lesson}.${q.session}`,
          node: q.node,
          cols: q.cols,
          rows: q.rows,
          resume: q.resume,
          env: [`QUAI_LESSON_DIR=${lessonFolder(lesson)}`],
          // Through the placement's wrapper: a bare exec would land outside the learner's namespaces.
          openExec: (cmd, env) => openExecStream(target.ref, { cmd: target.command(cmd), env }),
          onActivity: () => void touchWorkspaceSandbox(sandboxId).catch(() => {}),
          nodeDied: () => sandboxNodeDied(sandboxId),
          diskFull: () => sandboxDiskFull(sandboxId),
          diskFullMessage: diskFullLine(localeOf(request)),
          log: (message) => console.warn(`terminal ${sandboxId}/${q.node}: ${message}`),
        })
      })
    },
  }
}

/** The learner's language, from the cookie the pages use (lib/i18n/request.ts). */
function localeOf(request: IncomingMessage): Locale {
  const chosen = (request.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === localeCookie)?.[1]
  return isLocale(chosen) ? chosen : defaultLocale
}

function diskFullLine(locale: Locale): string | undefined {
  const workspace = loadMessages(locale).workspace as { terminal?: { diskFullLine?: string } } | undefined
  return workspace?.terminal?.diskFullLine
}
