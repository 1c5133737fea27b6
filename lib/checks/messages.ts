import type fr from '../../messages/fr/exercises.json'

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
  const flat: Record<string, string | number> = {}
  for (const [name, value] of Object.entries(params)) {
    flat[name] = isMessageRef(value) ? renderMessage(t, value.key, value.params) : value
  }
  return t(key, flat)
}
