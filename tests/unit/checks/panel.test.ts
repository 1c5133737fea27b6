import { NextIntlClientProvider } from 'next-intl'
import { createElement, type FunctionComponent } from 'react'
import { renderToString } from 'react-dom/server'
import { beforeAll, expect, test } from 'vitest'
import { ExercisePanel } from '../../../components/exercises/ExercisePanel'
import { SandboxDiagram } from '../../../components/exercises/SandboxDiagram'
import { checkTranslator } from '../../../lib/checks/catalogue'
import { toPublicExercise } from '../../../lib/checks/public'
import { exerciseSchema } from '../../../lib/content/schema'
import { handsOnClientMessages } from '../../../lib/i18n/client-messages'
import { pickMessages } from '../../../lib/i18n/pick'
import { snapshotFromLists } from '../../../lib/docker/parse/snapshot'
import en from '../../../messages/en/exercises.json'
import fr from '../../../messages/fr/exercises.json'
import { raw } from './helpers'

// Server-rendered once, in both languages: the panel shows the exercise, the last attempt's
// checklist with its messages, and nothing of the solution until it was revealed.

const exercise = exerciseSchema.parse({
  id: 'reseau', title: 'Créer le réseau', instructions: 'Créez **tp-network** puis lancez `test-server`.\n\n<script>alert(1)</script>',
  hints: ['premier indice', 'second indice'], solution: 'docker network create tp-network # SOLUTION',
  checks: [{ kind: 'network', name: 'tp-network', members: ['test-server'] }, { kind: 'script', label: 'le script passe', run: 'true' }],
})

const state = {
  reseau: {
    attempts: 1, completed: false, completedAt: null, hints: ['premier indice'], hintCount: 2, solutionRevealed: false, solution: null,
    lastAttempt: {
      passed: false, passedCount: 1, totalCount: 2, durationMs: 12, trigger: 'manual' as const, createdAt: '2026-11-22T04:00:00.000Z',
      assertions: [
        { id: 'network:tp-network:exists', check: 0, passed: true, key: 'network.exists.ok', params: { name: 'tp-network', suggestion: '', driver: 'bridge' } },
        { id: 'network:tp-network:member:test-server', check: 0, passed: false, key: 'network.member.missing', params: { network: 'tp-network', container: 'test-server', found: 'bridge' } },
      ],
    },
  },
}

// The checklist's assertion messages are not in the page's messages: the panel loads them apart
// (lib/checks/catalogue.ts), as the browser has by the time a result shows.
beforeAll(async () => {
  await Promise.all([checkTranslator('fr'), checkTranslator('en')])
})

const render = <P extends object>(locale: 'fr' | 'en', component: FunctionComponent<P>, props: P) =>
  renderToString(
    createElement(NextIntlClientProvider, {
      locale,
      // What the lesson page sends the panel: the exercises namespace without its assertion messages.
      messages: pickMessages({ exercises: locale === 'fr' ? fr : en }, handsOnClientMessages.paths, handsOnClientMessages.omit),
      timeZone: 'Europe/Paris',
      children: createElement(component, props),
    }),
  )

test('the panel renders instructions, the checklist with messages, revealed hints, and no solution', () => {
  const html = render('fr', ExercisePanel, { courseSlug: 'c', lessonSlug: 'l', sandboxId: 'sbx', exercises: [toPublicExercise(exercise)], initialState: state })
  expect(html).toContain('<strong>tp-network</strong>')
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  expect(html).toContain('le réseau tp-network existe, mais test-server n’y est pas attaché (ses réseaux : bridge)')
  expect(html).toContain('1/2 vérification(s) réussie(s)')
  expect(html).toContain('premier indice')
  expect(html).not.toContain('second indice')
  expect(html).not.toContain('SOLUTION')
  expect(html).toContain('aria-live="polite"')
  expect(html).toContain('aria-expanded="true"')
  expect(html).toContain('Afficher l’indice 2 sur 2')
  expect(html).toMatch(/⚙/)
  const english = render('en', ExercisePanel, { courseSlug: 'c', lessonSlug: 'l', sandboxId: null, exercises: [toPublicExercise(exercise)], initialState: state })
  expect(english).toContain('network tp-network exists, but test-server is not attached to it (its networks: bridge)')
  expect(english).toContain('Start the sandbox to check your exercises.')
})

test('the diagram draws containers, networks and volumes, with a text version', () => {
  const listed = {
    Id: 'abc', Names: ['/web'], Image: 'nginx', State: 'running', Status: 'Up 3 minutes', Labels: {},
    Ports: [{ PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }], NetworkSettings: { Networks: { 'tp-network': {}, back: {} } }, Mounts: [{ Type: 'volume', Name: 'data' }],
  }
  const snapshot = snapshotFromLists([listed], [raw('network-tp-network'), raw('network-back'), { Id: 'b', Name: 'bridge', Driver: 'bridge' }], [raw('volume-data')])
  expect(snapshot.networks.find((n) => n.name === 'bridge')?.builtin).toBe(true)
  const html = render('fr', SandboxDiagram, { node: 'node1', snapshot }).replaceAll('<!-- -->', '')
  expect(html).toContain('role="img"')
  expect(html).toContain('1 conteneur, 2 réseaux, 1 volume')
  expect(html).toContain('web (nginx, Up 3 minutes) — réseaux : tp-network, back — volumes : data — ports : 8080→80/tcp')
  expect(html).not.toContain('>bridge<')
})
