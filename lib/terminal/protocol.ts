import { z } from 'zod'
import { nodeNameSchema, slug } from '../content/slug'

// The terminal's WebSocket protocol, shared by the browser (lib/terminal/client.ts) and the
// server (lib/terminal/bridge.server.ts). Every frame is binary; its first byte is the type.
// Browser -> server types are below 0x80, server -> browser types are 0x80 and above, so a
// frame sent the wrong way is refused like any other garbage.
//
//   browser -> server            server -> browser
//   0x01 input   <bytes>         0x81 output  <bytes>
//   0x02 resize  u16 cols, rows  0x82 ready   JSON { epoch, offset, node, session, resumed }
//   0x03 ack     u32 bytes       0x83 pong    <the ping's payload>
//   0x04 ping    <0..16 bytes>   0x84 exit    JSON { code }
//                                0x85 error   JSON { code, message }
//
// Integers are big-endian. Ack counts output payload bytes the browser has processed since its
// previous ack (flow control: see docs/workspace.md); acknowledging more than the server has sent
// and not yet seen acknowledged closes the connection with 1002 (CloseCode.protocolError).

export const MessageType = {
  input: 0x01,
  resize: 0x02,
  ack: 0x03,
  ping: 0x04,
  output: 0x81,
  ready: 0x82,
  pong: 0x83,
  exit: 0x84,
  error: 0x85,
} as const

/** Largest frame either side accepts (the ws server's maxPayload). Clients split bigger pastes. */
export const maxFrameBytes = 64 * 1024
export const maxInputBytes = maxFrameBytes - 1
export const maxPingBytes = 16

export const terminalBounds = { minCols: 2, maxCols: 500, minRows: 2, maxRows: 200 } as const

/** Flow control (xterm.js guidance): pause above this many unacknowledged bytes... */
export const flowHighWater = 1024 * 1024
/** ...and resume below this. */
export const flowLowWater = 256 * 1024
/** The browser batches acknowledgements: one per this many bytes, the rest when it is idle. */
export const ackEveryBytes = 64 * 1024

/** Close codes: 1000 is a normal end (no reconnect); 4000+ are ours. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** The browser broke the protocol's flow control: it acknowledged more output than it was sent. */
  protocolError: 1002,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  /** Another tab or window attached to the same shell: do not fight back by reconnecting. */
  takenOver: 4001,
  /** The shell exited; the browser offers to start a new one. */
  shellExited: 4002,
  /** The sandbox stopped or is no longer this user's; the reason starts with the API's code (`node_died: ...`). */
  sandboxGone: 4004,
  /** The keep-alive found the other side silent. */
  timeout: 4008,
} as const

/** 'disk-full' is a notice, not a failure: the sandbox's disk is full (its message, in the learner's language, is shown in the terminal). */
export const terminalErrorCodes = ['bad-frame', 'bad-type', 'bad-resize', 'too-large', 'text-frame', 'busy', 'exec-failed', 'disk-full'] as const
export type TerminalErrorCode = (typeof terminalErrorCodes)[number]

export const readySchema = z.strictObject({
  /** Identifies the shell process; a new epoch means a new shell (the old one ended). */
  epoch: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** Session offset of the first output byte that follows; equal to the client's own offset on a seamless resume. */
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  node: z.string().max(64),
  session: z.string().max(80),
  resumed: z.boolean(),
})
export type ReadyMessage = z.infer<typeof readySchema>

export const exitSchema = z.strictObject({ code: z.number().int().min(-1).max(255).nullable() })
export type ExitMessage = z.infer<typeof exitSchema>

export const errorSchema = z.strictObject({ code: z.enum(terminalErrorCodes), message: z.string().max(500) })
export type ErrorMessage = z.infer<typeof errorSchema>

export type ClientMessage =
  | { type: 'input'; data: Uint8Array }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ack'; bytes: number }
  | { type: 'ping'; data: Uint8Array }

export type ServerMessage =
  | { type: 'output'; data: Uint8Array }
  | { type: 'ready'; ready: ReadyMessage }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'exit'; exit: ExitMessage }
  | { type: 'error'; error: ErrorMessage }

export type Decoded<T> = { ok: true; message: T } | { ok: false; code: TerminalErrorCode; reason: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function frame(type: number, payload: Uint8Array | number = 0): Uint8Array {
  const size = typeof payload === 'number' ? payload : payload.byteLength
  const out = new Uint8Array(1 + size)
  out[0] = type
  if (typeof payload !== 'number') out.set(payload, 1)
  return out
}

function jsonFrame(type: number, value: unknown): Uint8Array {
  return frame(type, encoder.encode(JSON.stringify(value)))
}

export function clampSize(cols: number, rows: number): { cols: number; rows: number } {
  const { minCols, maxCols, minRows, maxRows } = terminalBounds
  const fix = (v: number, lo: number, hi: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : lo)
  return { cols: fix(cols, minCols, maxCols), rows: fix(rows, minRows, maxRows) }
}

export function isSaneSize(cols: number, rows: number): boolean {
  const { minCols, maxCols, minRows, maxRows } = terminalBounds
  return Number.isInteger(cols) && Number.isInteger(rows) && cols >= minCols && cols <= maxCols && rows >= minRows && rows <= maxRows
}

// ---------------------------------------------------------------- browser -> server

export const encodeInput = (data: Uint8Array | string): Uint8Array => frame(MessageType.input, typeof data === 'string' ? encoder.encode(data) : data)

/** Input split into frames that each fit maxFrameBytes (a big paste becomes several frames). */
export function encodeInputChunks(data: Uint8Array | string): Uint8Array[] {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  const frames: Uint8Array[] = []
  for (let i = 0; i < bytes.byteLength; i += maxInputBytes) frames.push(encodeInput(bytes.subarray(i, i + maxInputBytes)))
  return frames
}

export function encodeResize(cols: number, rows: number): Uint8Array {
  const out = frame(MessageType.resize, 4)
  const view = new DataView(out.buffer)
  view.setUint16(1, cols)
  view.setUint16(3, rows)
  return out
}

export function encodeAck(bytes: number): Uint8Array {
  const out = frame(MessageType.ack, 4)
  new DataView(out.buffer).setUint32(1, bytes)
  return out
}

export const encodePing = (data: Uint8Array = new Uint8Array(0)): Uint8Array => frame(MessageType.ping, data)

function asBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

const refuse = (code: TerminalErrorCode, reason: string) => ({ ok: false, code, reason }) as const

/** Server side: validate one frame from the browser. Never throws. */
export function decodeClientMessage(raw: ArrayBuffer | ArrayBufferView): Decoded<ClientMessage> {
  const bytes = asBytes(raw)
  if (bytes.byteLength === 0) return refuse('bad-frame', 'empty frame')
  if (bytes.byteLength > maxFrameBytes) return refuse('too-large', `frame of ${bytes.byteLength} bytes, the limit is ${maxFrameBytes}`)
  const payload = bytes.subarray(1)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (bytes[0]) {
    case MessageType.input:
      if (payload.byteLength === 0) return refuse('bad-frame', 'empty input')
      return { ok: true, message: { type: 'input', data: payload } }
    case MessageType.resize: {
      if (payload.byteLength !== 4) return refuse('bad-frame', 'resize takes exactly 4 bytes (cols, rows)')
      const cols = view.getUint16(1)
      const rows = view.getUint16(3)
      if (!isSaneSize(cols, rows)) {
        const b = terminalBounds
        return refuse('bad-resize', `size ${cols}x${rows} refused: columns must be ${b.minCols}..${b.maxCols}, rows ${b.minRows}..${b.maxRows}`)
      }
      return { ok: true, message: { type: 'resize', cols, rows } }
    }
    case MessageType.ack: {
      if (payload.byteLength !== 4) return refuse('bad-frame', 'ack takes exactly 4 bytes')
      return { ok: true, message: { type: 'ack', bytes: view.getUint32(1) } }
    }
    case MessageType.ping:
      if (payload.byteLength > maxPingBytes) return refuse('bad-frame', `ping payload over ${maxPingBytes} bytes`)
      return { ok: true, message: { type: 'ping', data: payload } }
    default:
      return refuse('bad-type', `unknown message type 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`)
  }
}

// ---------------------------------------------------------------- server -> browser

export const encodeOutput = (data: Uint8Array): Uint8Array => frame(MessageType.output, data)
export const encodeReady = (ready: ReadyMessage): Uint8Array => jsonFrame(MessageType.ready, readySchema.parse(ready))
export const encodePong = (data: Uint8Array): Uint8Array => frame(MessageType.pong, data)
export const encodeExit = (exit: ExitMessage): Uint8Array => jsonFrame(MessageType.exit, exitSchema.parse(exit))
export const encodeError = (error: ErrorMessage): Uint8Array =>
  jsonFrame(MessageType.error, errorSchema.parse({ ...error, message: error.message.slice(0, 500) }))

function parseJson<T>(payload: Uint8Array, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(payload))
  } catch {
    return { ok: false, reason: 'payload is not UTF-8 JSON' }
  }
  const parsed = schema.safeParse(value)
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
}

/** Browser side: validate one frame from the server. Never throws. */
export function decodeServerMessage(raw: ArrayBuffer | ArrayBufferView): Decoded<ServerMessage> {
  const bytes = asBytes(raw)
  if (bytes.byteLength === 0) return refuse('bad-frame', 'empty frame')
  const payload = bytes.subarray(1)
  switch (bytes[0]) {
    case MessageType.output:
      return { ok: true, message: { type: 'output', data: payload } }
    case MessageType.pong:
      return { ok: true, message: { type: 'pong', data: payload } }
    case MessageType.ready: {
      const r = parseJson(payload, readySchema)
      return r.ok ? { ok: true, message: { type: 'ready', ready: r.value } } : refuse('bad-frame', `ready: ${r.reason}`)
    }
    case MessageType.exit: {
      const r = parseJson(payload, exitSchema)
      return r.ok ? { ok: true, message: { type: 'exit', exit: r.value } } : refuse('bad-frame', `exit: ${r.reason}`)
    }
    case MessageType.error: {
      const r = parseJson(payload, errorSchema)
      return r.ok ? { ok: true, message: { type: 'error', error: r.value } } : refuse('bad-frame', `error: ${r.reason}`)
    }
    default:
      return refuse('bad-type', `unknown message type 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`)
  }
}

// ---------------------------------------------------------------- bridge <-> session holder
//
// Inside the node, the shell belongs to the session holder (holder.pl, Perl core only); the
// bridge reaches it through a docker exec's stdin and stdout. holder.pl reads and writes this
// format (its header restates it); both sides must change together.
//
//   bridge -> holder (stdin): frames of u8 type, u16 length (big-endian), payload
//     0 input   <bytes for the shell>
//     1 resize  u16 cols, u16 rows
//     2 hello   "<epoch>:<offset>" to resume (latin1), or "-" for no resume
//   holder -> bridge (stdout): one header line "QUAI1 <epoch> <offset>\n", then the terminal's
//     raw output from session offset <offset> (a resume sends only what the browser has not seen)

export const HolderFrameType = { input: 0, resize: 1, hello: 2 } as const

/** The holder's header line, without its newline: QUAI1, the shell's epoch, the session offset. */
export const holderHeaderPattern = /^QUAI1 ([A-Za-z0-9._-]{1,64}) (\d{1,15})$/
/** Past this many bytes without a newline, the holder did not start (its output is an error). */
export const holderHeaderLimit = 512

export function encodeHolderFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + payload.byteLength)
  out[0] = type
  new DataView(out.buffer).setUint16(1, payload.byteLength)
  out.set(payload, 3)
  return out
}

export function encodeHolderResize(cols: number, rows: number): Uint8Array {
  const size = new Uint8Array(4)
  const view = new DataView(size.buffer)
  view.setUint16(0, cols)
  view.setUint16(2, rows)
  return encodeHolderFrame(HolderFrameType.resize, size)
}

/** The first frame of every attach: where the browser's copy of the output ends, if anywhere. */
export const encodeHolderHello = (resume: string | undefined): Uint8Array =>
  encodeHolderFrame(HolderFrameType.hello, Uint8Array.from(resume ?? '-', (c) => c.charCodeAt(0) & 0xff))

// ---------------------------------------------------------------- connection parameters

/** Query of the terminal WebSocket URL: /api/sandboxes/<id>/terminal?node=&session=&course=&lesson=&resume= */
export const terminalQuerySchema = z.strictObject({
  node: nodeNameSchema,
  session: z.coerce.number().int().min(0).max(3).default(0),
  course: slug,
  lesson: slug,
  /** "<epoch>:<offset>" of the last byte the browser has, to resume without repeating or losing output. */
  resume: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}:\d{1,15}$/)
    .optional(),
  cols: z.coerce.number().int().min(terminalBounds.minCols).max(terminalBounds.maxCols).default(80),
  rows: z.coerce.number().int().min(terminalBounds.minRows).max(terminalBounds.maxRows).default(24),
})
export type TerminalQuery = z.infer<typeof terminalQuerySchema>

export const terminalPath = (sandboxId: string) => `/api/sandboxes/${encodeURIComponent(sandboxId)}/terminal`
export const terminalPathPattern = /^\/api\/sandboxes\/([A-Za-z0-9_-]{1,64})\/terminal$/
