import type fr from '../../messages/fr/exercises.json'
import { causeOf, outputContext, rawOutputParams } from './causes'

// Assertion messages are keys in messages/<locale>/exercises.json (namespace `exercises`,
// under `check`), with parameters. A parameter may itself be a message (a MessageRef):
// "attendu {expected}" where expected is "un texte contenant « x »" in the learner's
// language. The browser renders with next-intl's `t`, the server (tests, scripts) with
// `createTranslator`; both go through `renderMessage`, so they agree.

type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : Leaves<T[K], `${Prefix}${K}.`>
}[keyof T & string]

/** Every message key under `exercises.check`. */
export type MessageKey = Leaves<(typeof fr)['check']>

export interface MessageRef {
  key: MessageKey
  params: MessageParams
}

export type MessageParams = { [name: string]: string | number | MessageRef }

/** A translate function scoped to the `exercises.check` namespace. */
export type Translate = (key: string, params?: Record<string, string | number>) => string

export function isMessageRef(value: unknown): value is MessageRef {
  return typeof value === 'object' && value !== null && typeof (value as MessageRef).key === 'string' && typeof (value as MessageRef).params === 'object'
}

export function renderMessage(t: Translate, key: MessageKey, params: MessageParams): string {
  return renderInto(t, key, params, [])
}

export interface RenderedMessage {
  text: string
  /** The tool outputs whose cause `text` gives in the learner's words: shown apart, as they are. */
  outputs: string[]
}

/**
 * A message and the raw outputs it translated. A parameter that holds a tool's output (see
 * causes.ts) is replaced by the cause it reveals; an output Quai does not recognise stays in
 * the text, as before.
 */
export function renderMessageWithOutputs(t: Translate, key: MessageKey, params: MessageParams): RenderedMessage {
  const outputs: string[] = []
  const text = renderInto(t, key, params, outputs)
  return { text, outputs }
}

function renderInto(t: Translate, key: string, params: MessageParams, outputs: string[]): string {
  const flat: Record<string, string | number> = {}
  const raw = rawOutputParams[key]
  for (const [name, value] of Object.entries(params)) {
    if (raw?.includes(name) && (typeof value === 'string' || isMessageRef(value))) {
      const output = typeof value === 'string' ? value : ''
      const cause = causeOf(output, outputContext(key, params))
      if (cause) {
        flat[name] = renderInto(t, cause.key, cause.params, outputs)
        if (output.trim() !== '') outputs.push(output)
        continue
      }
    }
    flat[name] = isMessageRef(value) ? renderInto(t, value.key, value.params, outputs) : value
  }
  return t(key, flat)
}
