import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertionIdsOf, messageKeyProblems, unknownMessageKeys } from '@/lib/checks/message-keys'
import { checkSchema } from '@/lib/content/check-kinds'
import { loadContentTree } from '@/lib/content/load.server'
import { formatProblem } from '@/lib/content/problems'
import { validateContent } from '@/lib/content/validate.server'
import { byId, container, evaluate, facts } from './helpers'

// An author's own words for an assertion that does not pass, in French and English.

const messages = {
  running: { fr: 'web doit tourner : relancez-le avec docker start web', en: 'web must run: start it again with docker start web' },
  'image': { fr: 'web doit venir de busybox', en: 'web must come from busybox' },
}

describe('author messages on a declarative check', () => {
  it('replace the catalogue message of a failing line, in both languages; a passed line keeps the catalogue', () => {
    const stopped = { ...container('stopped'), name: 'web' }
    const lines = evaluate({ kind: 'container', name: 'web', running: true, image: 'quai-test/busybox', messages }, facts({ containers: [stopped] }))
    expect(byId(lines, 'container:web:running')).toMatchObject({ passed: false, key: 'author', fr: messages.running.fr, en: messages.running.en })
    const image = byId(lines, 'container:web:image')
    expect(image.passed).toBe(true)
    expect(image.fr).not.toBe(messages.image.fr)
    expect(image.fr).toContain('busybox')
  })

  it('word a line that waits for its subject too', () => {
    const lines = evaluate({ kind: 'container', name: 'web', running: true, messages }, facts({ containers: [['web', null]] }))
    expect(byId(lines, 'container:web:running')).toMatchObject({ passed: false, pending: true, fr: messages.running.fr })
  })

  it('need both languages and a non-empty text: the schema names the field', () => {
    const parsed = checkSchema.safeParse({ kind: 'network', name: 'n', messages: { exists: { fr: 'le réseau n manque' } } })
    expect(parsed.success).toBe(false)
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['messages.exists.en'])
    const typo = checkSchema.safeParse({ kind: 'network', name: 'n', messages: { exists: { fr: 'x', en: 'x', de: 'x' } } })
    expect(typo.error!.issues[0]).toMatchObject({ path: ['messages', 'exists'], code: 'unrecognized_keys' })
  })

  it('content:check names the file and the field of a message without English or keyed by no assertion of its check', async () => {
    const root = path.join(import.meta.dirname, '..', '..', 'fixtures', 'content-broken')
    const tree = loadContentTree(root)
    const { problems } = await validateContent(tree)
    const lines = [...problems, ...messageKeyProblems(tree.courses.flatMap((c) => c.lessons))].map((p) => formatProblem(p, root)).filter((l) => l.includes('/messages-'))
    expect(lines).toEqual([
      'courses/bad/messages-auteur/exercises.yaml: exercises[0] (reseau).checks[0].messages.exists.en: Invalid input: expected string, received undefined',
      'courses/bad/messages-cle/exercises.yaml: exercises[0] (serveur).checks[0].messages.runing: no assertion of this check ends with "runing": its assertions are container:web:exists, container:web:running',
    ])
  })
})

describe('which lines of a file check an author may word', () => {
  it('every line it reports once the file is there, not only whether it exists', () => {
    const check = checkSchema.parse({
      kind: 'file',
      path: '/root/lab/k8s/secret.yaml',
      parse: 'yaml',
      matches: ['^kind: Secret'],
      values: { 'data.DB_PASSWORD': 'TWlzdHJhbA==' },
      messages: { 'value:data.DB_PASSWORD': { fr: 'encodez sans saut de ligne (printf)', en: 'encode without a newline (printf)' } },
    })
    expect(assertionIdsOf(check)).toEqual([
      'file:/root/lab/k8s/secret.yaml:exists',
      'file:/root/lab/k8s/secret.yaml:matches:^kind: Secret',
      'file:/root/lab/k8s/secret.yaml:parse',
      'file:/root/lab/k8s/secret.yaml:value:data.DB_PASSWORD',
    ])
    expect(unknownMessageKeys(check)).toEqual([])
  })
})
