import { describe, expect, it } from 'vitest'
import {
  clampSize,
  decodeClientMessage,
  decodeServerMessage,
  encodeAck,
  encodeError,
  encodeExit,
  encodeHolderFrame,
  encodeHolderHello,
  encodeHolderResize,
  encodeInput,
  encodeInputChunks,
  encodeOutput,
  encodePing,
  encodePong,
  encodeReady,
  encodeResize,
  holderHeaderPattern,
  HolderFrameType,
  maxFrameBytes,
  MessageType,
  terminalQuerySchema,
} from '../../../lib/terminal/protocol'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('browser -> server frames', () => {
  it('round-trips input, resize, ack and ping', () => {
    expect(decodeClientMessage(encodeInput('ls -l\r'))).toEqual({ ok: true, message: { type: 'input', data: new TextEncoder().encode('ls -l\r') } })
    expect(decodeClientMessage(encodeResize(120, 40))).toEqual({ ok: true, message: { type: 'resize', cols: 120, rows: 40 } })
    expect(decodeClientMessage(encodeAck(70_000))).toEqual({ ok: true, message: { type: 'ack', bytes: 70_000 } })
    expect(decodeClientMessage(encodePing(bytes(1, 2, 3)))).toEqual({ ok: true, message: { type: 'ping', data: bytes(1, 2, 3) } })
  })

  it('accepts an ArrayBuffer or a view on a larger buffer', () => {
    const frame = encodeResize(80, 24)
    const padded = new Uint8Array(frame.byteLength + 10)
    padded.set(frame, 5)
    expect(decodeClientMessage(padded.subarray(5, 5 + frame.byteLength))).toMatchObject({ ok: true, message: { cols: 80, rows: 24 } })
    expect(decodeClientMessage(frame.slice().buffer)).toMatchObject({ ok: true })
  })

  it('refuses garbage with a reason, never throws', () => {
    expect(decodeClientMessage(bytes())).toMatchObject({ ok: false, code: 'bad-frame' })
    expect(decodeClientMessage(bytes(0x7f, 1, 2))).toMatchObject({ ok: false, code: 'bad-type' })
    expect(decodeClientMessage(bytes(MessageType.output, 65))).toMatchObject({ ok: false, code: 'bad-type' })
    expect(decodeClientMessage(bytes(MessageType.input))).toMatchObject({ ok: false, code: 'bad-frame' })
    expect(decodeClientMessage(bytes(MessageType.resize, 0, 80))).toMatchObject({ ok: false, code: 'bad-frame' })
    expect(decodeClientMessage(bytes(MessageType.ack, 1, 2, 3))).toMatchObject({ ok: false, code: 'bad-frame' })
    expect(decodeClientMessage(new Uint8Array(40).fill(MessageType.ping))).toMatchObject({ ok: false, code: 'bad-frame' })
    for (let i = 0; i < 200; i++) {
      const random = Uint8Array.from({ length: 1 + (i % 17) }, () => Math.floor(Math.random() * 256))
      expect(() => decodeClientMessage(random)).not.toThrow()
    }
  })

  it('refuses oversized frames', () => {
    const big = new Uint8Array(maxFrameBytes + 1)
    big[0] = MessageType.input
    expect(decodeClientMessage(big)).toMatchObject({ ok: false, code: 'too-large' })
  })

  it('refuses absurd sizes and the client clamps before sending', () => {
    expect(decodeClientMessage(encodeResize(0, 24))).toMatchObject({ ok: false, code: 'bad-resize' })
    expect(decodeClientMessage(encodeResize(65535, 65535))).toMatchObject({ ok: false, code: 'bad-resize' })
    expect(decodeClientMessage(encodeResize(80, 201))).toMatchObject({ ok: false, code: 'bad-resize' })
    expect(clampSize(100_000, -5)).toEqual({ cols: 500, rows: 2 })
    expect(clampSize(Number.NaN, 30.4)).toEqual({ cols: 2, rows: 30 })
  })

  it('splits a big paste into frames that fit', () => {
    const frames = encodeInputChunks('x'.repeat(200_000))
    expect(frames.length).toBe(4)
    for (const frame of frames) {
      expect(frame.byteLength).toBeLessThanOrEqual(maxFrameBytes)
      expect(decodeClientMessage(frame).ok).toBe(true)
    }
    expect(frames.reduce((n, f) => n + f.byteLength - 1, 0)).toBe(200_000)
  })
})

describe('server -> browser frames', () => {
  it('round-trips output, ready, pong, exit and error', () => {
    expect(decodeServerMessage(encodeOutput(bytes(104, 105)))).toEqual({ ok: true, message: { type: 'output', data: bytes(104, 105) } })
    const ready = { epoch: '6b02.57', offset: 1234, node: 'node1', session: 'docker-run.0', resumed: true }
    expect(decodeServerMessage(encodeReady(ready))).toEqual({ ok: true, message: { type: 'ready', ready } })
    expect(decodeServerMessage(encodePong(bytes(9)))).toEqual({ ok: true, message: { type: 'pong', data: bytes(9) } })
    expect(decodeServerMessage(encodeExit({ code: 7 }))).toEqual({ ok: true, message: { type: 'exit', exit: { code: 7 } } })
    const error = { code: 'bad-resize' as const, message: 'no' }
    expect(decodeServerMessage(encodeError(error))).toEqual({ ok: true, message: { type: 'error', error } })
  })

  it('validates the JSON parts', () => {
    const enc = new TextEncoder()
    const json = (type: number, value: string) => Uint8Array.from([type, ...enc.encode(value)])
    expect(decodeServerMessage(json(MessageType.ready, '{"epoch":"a b","offset":1,"node":"n","session":"s","resumed":false}'))).toMatchObject({ ok: false })
    expect(decodeServerMessage(json(MessageType.ready, '{"epoch":"a","offset":-1,"node":"n","session":"s","resumed":false}'))).toMatchObject({ ok: false })
    expect(decodeServerMessage(json(MessageType.exit, '{"code":"0"}'))).toMatchObject({ ok: false })
    expect(decodeServerMessage(json(MessageType.error, '{"code":"x","message":"m"}'))).toMatchObject({ ok: false })
    expect(decodeServerMessage(json(MessageType.exit, 'not json'))).toMatchObject({ ok: false })
    expect(decodeServerMessage(bytes(MessageType.exit, 0xff, 0xfe))).toMatchObject({ ok: false })
    expect(decodeServerMessage(bytes(MessageType.input, 1))).toMatchObject({ ok: false, code: 'bad-type' })
  })
})

describe('connection query', () => {
  it('accepts a normal query and fills defaults', () => {
    const parsed = terminalQuerySchema.parse({ node: 'node1', course: 'bases', lesson: 'premier-conteneur' })
    expect(parsed).toMatchObject({ session: 0, cols: 80, rows: 24 })
  })
  it('refuses odd values', () => {
    const base = { node: 'node1', course: 'c', lesson: 'l' }
    expect(terminalQuerySchema.safeParse({ ...base, node: '../etc' }).success).toBe(false)
    expect(terminalQuerySchema.safeParse({ ...base, session: '9' }).success).toBe(false)
    expect(terminalQuerySchema.safeParse({ ...base, cols: '100000' }).success).toBe(false)
    expect(terminalQuerySchema.safeParse({ ...base, resume: 'a:b' }).success).toBe(false)
    expect(terminalQuerySchema.safeParse({ ...base, extra: '1' }).success).toBe(false)
  })
})

describe('bridge <-> session holder frames (holder.pl reads the same format)', () => {
  it('writes u8 type, u16 big-endian length, payload', () => {
    expect(encodeHolderFrame(HolderFrameType.input, new TextEncoder().encode('ls\r'))).toEqual(bytes(0, 0, 3, 0x6c, 0x73, 0x0d))
    expect(encodeHolderResize(120, 40)).toEqual(bytes(1, 0, 4, 0, 120, 0, 40))
    expect(encodeHolderHello(undefined)).toEqual(bytes(2, 0, 1, 0x2d))
    expect(encodeHolderHello('e1:300')).toEqual(bytes(2, 0, 6, ...new TextEncoder().encode('e1:300')))
  })

  it('reads the header line QUAI1 <epoch> <offset>', () => {
    expect(holderHeaderPattern.exec('QUAI1 a.b-c_1 4096')?.slice(1)).toEqual(['a.b-c_1', '4096'])
    expect(holderHeaderPattern.test('QUAI2 e 0')).toBe(false)
    expect(holderHeaderPattern.test('perl: not found')).toBe(false)
  })
})
