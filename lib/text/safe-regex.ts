import { RE2JS } from 're2js'

// Regular expressions over text a learner controls (command output, files, answers) run on
// RE2 (the re2js port): its time grows linearly with the text, whatever the pattern, where
// V8's backtracking engine can take hours on a few megabytes (`^\s*2\s*$` with the m flag
// over newlines is quadratic, `(a+)+$` exponential). Patterns are written in JavaScript's
// syntax (authors test them in a browser, recheck analyses them as such) and translated here
// so that RE2 gives the same answers; what RE2 cannot do in linear time (backreferences,
// lookarounds) is refused with a reason. No Node API: the browser may import this module.

/** Flags an author may use: i (ignore case), m (^ and $ at line ends), s (. matches newlines). */
export type SafeRegexFlags = string

/**
 * Largest compiled program accepted. RE2 stays linear in the text, but in the worst case its
 * cost per character grows with the program: a crafted 500-instruction pattern takes about
 * 0.8 s per MiB where a typical one takes 30 ms. The longest course pattern has 240 (long
 * literals count one instruction per character).
 */
export const MAX_PROGRAM_SIZE = 500

export class UnsupportedRegexError extends Error {
  override readonly name = 'UnsupportedRegexError'
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`/${pattern}/: ${reason}`)
  }
}

export interface SafeMatch {
  /** The whole match, then each group (undefined when it did not take part), as RegExp#exec. */
  groups: (string | undefined)[]
  named: Record<string, string | undefined>
  index: number
}

export interface SafeRegex {
  readonly source: string
  readonly flags: string
  readonly programSize: number
  test(text: string): boolean
  /** The first match, or null. */
  exec(text: string): SafeMatch | null
  /** Every match, left to right, without overlaps (as String#matchAll with the g flag). */
  matchAll(text: string): SafeMatch[]
}

// JavaScript's \s (ECMAScript WhiteSpace and LineTerminator); RE2's own \s is ASCII only and
// would miss the no-break space French text puts before ":".
const SPACE = '\\t\\n\\x{b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}'
// Its complement, as ranges, so that \S can also stand inside a class ([\s\S]).
const NOT_SPACE =
  '\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{9f}\\x{a1}-\\x{167f}\\x{1681}-\\x{1fff}\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}\\x{2030}-\\x{205e}\\x{2060}-\\x{2fff}\\x{3001}-\\x{fefe}\\x{ff00}-\\x{10ffff}'
// JavaScript's . stops at every line terminator, RE2's only at \n.
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]'

const hex = (text: string) => /^[0-9A-Fa-f]+$/.test(text)
const isAsciiPunctuation = (ch: string) => /^[!-/:-@[-`{-~]$/.test(ch)

/** One escape sequence at `i` (a backslash): its RE2 spelling and its length in the pattern. */
function translateEscape(pattern: string, i: number, inClass: boolean): [string, number] {
  const refuse = (reason: string): never => {
    throw new UnsupportedRegexError(pattern, reason)
  }
  const ch = pattern[i + 1]
  if (ch === undefined) return refuse('it ends with a lone backslash')
  switch (ch) {
    case 'd': case 'D': case 'w': case 'W': case 't': case 'n': case 'r': case 'f': case 'v':
      return [`\\${ch}`, 2]
    case 'b':
      return [inClass ? '\\x{8}' : '\\b', 2]
    case 'B':
      return inClass ? refuse('\\B inside a class is not an escape; write B') : ['\\B', 2]
    case 's':
      return [inClass ? SPACE : `[${SPACE}]`, 2]
    case 'S':
      return [inClass ? NOT_SPACE : `[${NOT_SPACE}]`, 2]
    case '0':
      return /[0-9]/.test(pattern[i + 2] ?? '') ? refuse('octal escapes (\\0 followed by a digit) are not supported; write \\xHH') : ['\\x{0}', 2]
    case 'k':
      return refuse('backreferences (\\k<name>) are not supported: RE2 matches in linear time and cannot compare with an earlier group')
    case 'x': {
      const digits = pattern.slice(i + 2, i + 4)
      return digits.length === 2 && hex(digits) ? [`\\x{${digits}}`, 4] : refuse('\\x must be followed by two hexadecimal digits')
    }
    case 'u': {
      const digits = pattern.slice(i + 2, i + 6)
      return digits.length === 4 && hex(digits) ? [`\\x{${digits}}`, 6] : refuse('\\u must be followed by four hexadecimal digits')
    }
    case 'c': {
      const letter = pattern[i + 2] ?? ''
      return /^[A-Za-z]$/.test(letter) ? [`\\x{${(letter.charCodeAt(0) % 32).toString(16)}}`, 3] : refuse('\\c must be followed by a letter')
    }
  }
  if (/[1-9]/.test(ch)) return refuse(`backreferences (\\${ch}) are not supported: RE2 matches in linear time and cannot compare with an earlier group`)
  // JavaScript reads other letters as themselves (\z is "z"); RE2 gives some a meaning (\z,
  // \A, \pL, \Q…\E). Neither is what an author meant.
  if (/[A-Za-z]/.test(ch)) return refuse(`\\${ch} is not an escape in JavaScript (it would match the letter ${ch})`)
  const code = pattern.codePointAt(i + 1)!
  const char = String.fromCodePoint(code)
  // An escaped symbol is itself: RE2 takes \ before ASCII punctuation, and other characters bare.
  return [isAsciiPunctuation(char) ? `\\${char}` : char, 1 + char.length]
}

/** JavaScript pattern → RE2 pattern with the same meaning, or UnsupportedRegexError. */
export function translateToRe2(pattern: string, flags: SafeRegexFlags = ''): string {
  const dotAll = flags.includes('s')
  let out = ''
  let inClass = false
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i]!
    if (ch === '\\') {
      const [text, length] = translateEscape(pattern, i, inClass)
      out += text
      i += length
      continue
    }
    if (inClass) {
      if (ch === ']') inClass = false
      // RE2 reads "[[:alpha:]]" as a POSIX class; JavaScript reads "[" there as itself.
      out += ch === '[' ? '\\[' : ch
      i++
      continue
    }
    if (ch === '[') {
      const negated = pattern[i + 1] === '^'
      const first = i + (negated ? 2 : 1)
      if (pattern[first] === ']') {
        throw new UnsupportedRegexError(pattern, negated ? '[^] is not supported; write [\\s\\S] for any character' : '[] never matches anything')
      }
      inClass = true
      out += negated ? '[^' : '['
      i = first
      continue
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4)
      if (rest.startsWith('=') || rest.startsWith('!') || rest === '<=' || rest === '<!') {
        throw new UnsupportedRegexError(pattern, 'lookarounds ((?=…), (?!…), (?<=…), (?<!…)) are not supported: RE2 matches in linear time without them')
      }
      if (rest.startsWith('<')) {
        out += '(?P<'
        i += 3
        continue
      }
    }
    out += ch === '.' && !dotAll ? DOT : ch
    i++
  }
  return out
}

function flagBits(pattern: string, flags: SafeRegexFlags): number {
  let bits = 0
  for (const flag of flags) {
    if (flag === 'i') bits |= RE2JS.CASE_INSENSITIVE
    else if (flag === 'm') bits |= RE2JS.MULTILINE
    else if (flag === 's') bits |= RE2JS.DOTALL
    else throw new UnsupportedRegexError(pattern, `the flag "${flag}" is not supported (i, m and s are)`)
  }
  return bits
}

function toMatch(found: unknown[] & { index?: number; groups?: Record<string, string | undefined> }): SafeMatch {
  return {
    groups: found.map((g) => (g === null || g === undefined ? undefined : String(g))),
    named: { ...(found.groups ?? {}) },
    index: found.index ?? 0,
  }
}

/**
 * Compile a JavaScript pattern for RE2. Throws UnsupportedRegexError, whose message names the
 * pattern and the reason: invalid syntax, a construct RE2 cannot run in linear time, or a
 * program larger than MAX_PROGRAM_SIZE.
 */
export function compileSafeRegex(pattern: string, flags: SafeRegexFlags = ''): SafeRegex {
  const bits = flagBits(pattern, flags)
  try {
    // Only to report JavaScript's own syntax errors; this RegExp never runs.
    new RegExp(pattern, flags)
  } catch (error) {
    const message = (error as Error).message
    const prefix = `Invalid regular expression: /${pattern}/${flags}: `
    throw new UnsupportedRegexError(pattern, message.startsWith(prefix) ? message.slice(prefix.length) : message)
  }
  let re: RE2JS
  try {
    re = RE2JS.compile(translateToRe2(pattern, flags), bits)
  } catch (error) {
    if (error instanceof UnsupportedRegexError) throw error
    const message = (error as Error).message
    const prefix = 'error parsing regexp: '
    throw new UnsupportedRegexError(pattern, `RE2 cannot compile it (${message.startsWith(prefix) ? message.slice(prefix.length) : message})`)
  }
  const programSize = re.programSize()
  if (programSize > MAX_PROGRAM_SIZE) {
    throw new UnsupportedRegexError(pattern, `too complex: ${programSize} RE2 instructions, at most ${MAX_PROGRAM_SIZE} (large counted repetitions such as {200} cost the most)`)
  }
  return {
    source: pattern,
    flags,
    programSize,
    test: (text) => re.test(text),
    exec: (text) => {
      const found = re.exec(text)
      return found ? toMatch(found) : null
    },
    matchAll: (text) => [...re.matchAll(text)].map((m) => toMatch(m as unknown as Parameters<typeof toMatch>[0])),
  }
}

/** Why a pattern cannot be used, or null when it can (for schemas and content:check). */
export function safeRegexProblem(pattern: string, flags: SafeRegexFlags = ''): string | null {
  try {
    compileSafeRegex(pattern, flags)
    return null
  } catch (error) {
    if (error instanceof UnsupportedRegexError) return error.reason
    throw error
  }
}

// Author patterns are few and reused on every check run; compiling costs about a millisecond.
const cache = new Map<string, SafeRegex>()
const CACHE_SIZE = 500

/** compileSafeRegex, remembered (the most recent CACHE_SIZE patterns). */
export function safeRegex(pattern: string, flags: SafeRegexFlags = ''): SafeRegex {
  const key = `${flags}/${pattern}`
  const known = cache.get(key)
  if (known) {
    cache.delete(key)
    cache.set(key, known)
    return known
  }
  const compiled = compileSafeRegex(pattern, flags)
  cache.set(key, compiled)
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return compiled
}

/** Does `pattern` match somewhere in `text`? Linear in the text's length. */
export function safeTest(pattern: string, text: string, flags: SafeRegexFlags = ''): boolean {
  return safeRegex(pattern, flags).test(text)
}
